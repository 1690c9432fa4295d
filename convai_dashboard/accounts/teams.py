"""Changes to a team's members, roles, invitations and keys: each is written to the team's
audit log in the same transaction, so the log holds every change that was made."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from convai_dashboard.accounts import roles
from convai_dashboard.accounts.models import (
    ApiKey,
    AuditEntry,
    CharacterAccess,
    Invitation,
    Membership,
    Role,
    Team,
)


class TeamChangeRefused(Exception):
    """A change the rules forbid; its message says which rule, for the admin who asked."""


def audit(team: Team, actor: Any, what: str) -> AuditEntry:
    name = actor.get_username() if actor is not None else "the dashboard"
    return AuditEntry.objects.create(team=team, actor=actor, actor_name=name, what=what)


def personal_team(user: Any) -> Team:
    """The team of the user alone, which they administer: what a user who brings their own
    key works in, and what the upgrade gave each user (migration accounts 0007)."""
    team, created = Team.objects.get_or_create(name=f"{user.get_username()} (personal)")
    if created:
        Membership.objects.create(team=team, user=user, role=Role.ADMIN)
    return team


@transaction.atomic
def create_team(name: str, founder: Any) -> Team:
    team = Team.objects.create(name=name)
    Membership.objects.create(team=team, user=founder, role=Role.ADMIN)
    audit(team, founder, "made the team, as its admin")
    return team


def _may_grant(by: Membership, role: Role) -> None:
    if not roles.may_grant(by.role, role):
        raise TeamChangeRefused(f"A {by.get_role_display()} cannot grant the {role.label} role.")


def _admins_left(team: Team, without: Membership) -> int:
    return team.memberships.filter(role=Role.ADMIN).exclude(pk=without.pk).count()


@transaction.atomic
def set_role(membership: Membership, role: Role, by: Membership) -> None:
    _may_grant(by, role)
    demoted = membership.role == Role.ADMIN and role != Role.ADMIN
    if demoted and not _admins_left(membership.team, membership):
        raise TeamChangeRefused("A team keeps at least one admin: make another admin first.")
    was = membership.get_role_display()
    membership.role = role
    membership.save(update_fields=["role"])
    audit(membership.team, by.user, f"changed {membership.user}'s role from {was} to {role.label}")


@transaction.atomic
def remove_member(membership: Membership, by: Membership) -> None:
    if membership.role == Role.ADMIN and not _admins_left(membership.team, membership):
        raise TeamChangeRefused("A team keeps at least one admin: make another admin first.")
    membership.delete()
    audit(membership.team, by.user, f"removed {membership.user} ({membership.get_role_display()})")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invite(team: Team, role: Role, by: Membership, note: str = "") -> tuple[Invitation, str]:
    """An invitation and its token, which only the link shown to the admin now carries."""
    _may_grant(by, role)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        team=team,
        role=role,
        token_digest=_digest(token),
        note=note,
        created_by=by.user,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    said = f" ({note})" if note else ""
    audit(team, by.user, f"made an invitation as {role.label}{said}")
    return invitation, token


@transaction.atomic
def revoke(invitation: Invitation, by: Membership) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    said = f" ({invitation.note})" if invitation.note else ""
    role = invitation.get_role_display()
    audit(invitation.team, by.user, f"withdrew an invitation as {role}{said}")


def open_invitation(token: str) -> Invitation:
    """The invitation this token is for, if it can still be used; otherwise TeamChangeRefused
    saying why."""
    found = Invitation.objects.select_related("team").filter(token_digest=_digest(token)).first()
    if found is None:
        raise TeamChangeRefused("This invitation link is not one this dashboard made.")
    if found.used_at is not None:
        raise TeamChangeRefused("This invitation has been used already: ask for a new one.")
    if found.expires_at <= timezone.now():
        raise TeamChangeRefused("This invitation has expired: ask for a new one.")
    return found


@transaction.atomic
def accept(token: str, user: Any) -> Membership:
    """Joins the user to the invitation's team with its role, and uses the invitation up. An
    existing member keeps the higher of their role and the invitation's."""
    invitation = open_invitation(token)
    # Locked and checked again, so that two requests with one link cannot both use it.
    used = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(
        used_at=timezone.now(), used_by=user
    )
    if not used:
        raise TeamChangeRefused("This invitation has been used already: ask for a new one.")
    role = Role(invitation.role)
    membership, created = Membership.objects.get_or_create(
        team=invitation.team, user=user, defaults={"role": role}
    )
    if not created and role.rank > Role(membership.role).rank:
        membership.role = role
        membership.save(update_fields=["role"])
    audit(invitation.team, user, f"joined through an invitation as {membership.get_role_display()}")
    return membership


@dataclass(frozen=True)
class Moved:
    accesses: int
    merged: int  # characters the destination held already


@transaction.atomic
def move_key(key: ApiKey, to: Team, by: Any) -> Moved:
    """Moves a key, and the characters it proved, into another team the mover administers.
    A character the destination held already keeps the destination's access."""
    source = key.team
    held = set(to.accesses.values_list("character_id", flat=True))
    proved = CharacterAccess.objects.filter(api_key=key, team=source)
    merged = proved.filter(character_id__in=held).delete()[0]
    moved = proved.update(team=to)
    key.team = to
    try:
        with transaction.atomic():
            key.save(update_fields=["team"])
    except IntegrityError:
        raise TeamChangeRefused(f"{to} already has a key labelled “{key.label}”.") from None
    what = f"key “{key.label}” ({key.masked}) with {moved + merged} character(s)"
    audit(source, by, f"moved {what} to {to}")
    audit(to, by, f"moved in {what} from {source}")
    return Moved(moved, merged)


def place_new_user(user: Any, groups: list[str], email: str) -> list[Membership]:
    """Puts a user at their first sign-in into the teams that the identity provider's groups,
    or their e-mail's domain, map to (settings.TEAM_MAPPING); none when nothing maps."""
    domain = "@" + email.rpartition("@")[2].lower() if "@" in email else None
    placed = []
    for claim, (team_name, role) in settings.TEAM_MAPPING.items():
        if claim not in groups and claim.lower() != domain:
            continue
        team, _ = Team.objects.get_or_create(name=team_name)
        membership, created = Membership.objects.get_or_create(
            team=team, user=user, defaults={"role": role}
        )
        if created:
            audit(team, None, f"placed {user} as {Role(role).label} (mapped from “{claim}”)")
        placed.append(membership)
    return placed
