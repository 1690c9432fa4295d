"""The one permission table: which role each action needs. Pages refuse, forms offer and
templates show an action by asking it, so a role means the same everywhere."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from convai_dashboard.accounts.models import Role


class Action(StrEnum):
    READ = "read"  # read, search and export a character's history, and refresh it from Convai
    REVIEW = "review"  # set statuses, flag lines, suggest rewrites, tag sessions, write notes
    SYNC = "sync"  # fetch a whole history in the background
    SETTLE_FLAGS = "settle_flags"  # approve a rewrite, mark a flag won't-fix
    MANAGE_TAGS = "manage_tags"  # create and delete tags, bulk-tag a list
    MANAGE_QUEUES = "manage_queues"  # make, change and delete review queues; settle verdicts
    MANAGE_TEAM = "manage_team"  # keys, characters, members, roles, invitations, the audit log


NEEDS: dict[Action, Role] = {
    Action.READ: Role.VIEWER,
    Action.REVIEW: Role.REVIEWER,
    Action.SYNC: Role.LEAD,
    Action.SETTLE_FLAGS: Role.LEAD,
    Action.MANAGE_TAGS: Role.LEAD,
    Action.MANAGE_QUEUES: Role.LEAD,
    Action.MANAGE_TEAM: Role.ADMIN,
}

_REFUSALS: dict[Action, str] = {
    Action.READ: "reading this history",
    Action.REVIEW: "reviewing sessions",
    Action.SYNC: "syncing a whole history",
    Action.SETTLE_FLAGS: "approving rewrites and marking flags won't-fix",
    Action.MANAGE_TAGS: "creating, deleting and bulk-applying tags",
    Action.MANAGE_QUEUES: "making, changing and deleting review queues, and settling verdicts",
    Action.MANAGE_TEAM: "managing a team's keys, characters and members",
}


def allows(role: Role | str | None, action: Action) -> bool:
    return role is not None and Role(role).rank >= NEEDS[action].rank


def can(role: Role | str | None) -> dict[str, bool]:
    """What a reader with this role may do, by action name: what templates ask."""
    return {action.value: allows(role, action) for action in Action}


def refusal(action: Action) -> str:
    """The sentence a refused request gets: what it needed, and which role gives it."""
    return f"{_REFUSALS[action].capitalize()} needs the {NEEDS[action].label} role or above."


def require(role: Role | str | None, action: Action) -> None:
    if not allows(role, action):
        raise PermissionDenied(refusal(action))


def may_grant(granter: Role | str, role: Role | str) -> bool:
    """An admin grants no role above their own."""
    return Role(role).rank <= Role(granter).rank
