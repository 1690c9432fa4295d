"""The teams pages: a user's teams; a team's members, roles, invitations and audit log, which
its admins manage; and the page an invitation link opens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from convai_dashboard.accounts import teams
from convai_dashboard.accounts.models import Invitation, Membership, Role, Team
from convai_dashboard.accounts.roles import Action, may_grant
from convai_dashboard.pages.access import needs, team_membership
from convai_dashboard.pages.htmx import HtmxHttpRequest

AUDIT_SHOWN = 200


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]


def _grantable(membership: Membership) -> list[tuple[str, str]]:
    """The roles this member may give: none above their own."""
    return [(role.value, role.label) for role in Role if may_grant(membership.role, role)]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class InvitationForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REVIEWER)
    note = forms.CharField(
        max_length=200,
        required=False,
        label="Who it is for",
        help_text="Shown in the list of invitations and the audit log, not to the invitee.",
    )

    def __init__(self, *args: object, granter: Membership, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = _grantable(granter)  # type: ignore[attr-defined]


# Any user may make a team: it holds nothing until its admin adds a key Convai accepts, so it
# shows them nothing they could not read with that key already.
@needs(Action.READ)
@require_http_methods(["GET", "POST"])
def teams_page(request: HtmxHttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = teams.create_team(form.cleaned_data["name"], request.user)
        messages.success(request, f"Team {team} made; you are its admin.")
        return redirect("team", team_id=team.pk)
    context = {
        "memberships": Membership.objects.filter(user=request.user).select_related("team"),
        "form": form,
    }
    return render(request, "teams/teams.html", context, status=400 if form.errors else 200)


def _team_page(
    request: HtmxHttpRequest,
    membership: Membership,
    *,
    invitation_form: InvitationForm | None = None,
    link: str = "",
    new_invitation: Invitation | None = None,
    status: int = 200,
) -> HttpResponse:
    team = membership.team
    admin = membership.role == Role.ADMIN
    context = {
        "team": team,
        "mine": membership,
        "members": team.memberships.select_related("user").order_by("user__username"),
        "roles": _grantable(membership),
        "invitation_form": invitation_form or InvitationForm(granter=membership),
        "invitations": team.invitations.filter(used_at__isnull=True).order_by("-created_at")
        if admin
        else [],
        "audit": team.audit_entries.all()[:10] if admin else [],
        "n_keys": team.api_keys.count() if admin else 0,
        "link": link,
        "new_invitation": new_invitation,
    }
    return render(request, "teams/team.html", context, status=status)


@needs(Action.READ)
@require_GET
def team_page(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    return _team_page(request, team_membership(request, team_id))


@needs(Action.MANAGE_TEAM)
@require_POST
def member_change(request: HtmxHttpRequest, team_id: int, member_id: int) -> HttpResponse:
    mine = team_membership(request, team_id)
    member = get_object_or_404(mine.team.memberships.select_related("user"), pk=member_id)
    try:
        if request.POST.get("remove"):
            teams.remove_member(member, mine)
            messages.success(request, f"{member.user} removed from {mine.team}.")
        else:
            form = RoleForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose one of the roles.")
                return redirect("team", team_id=team_id)
            teams.set_role(member, Role(form.cleaned_data["role"]), mine)
            messages.success(request, f"{member.user} is now {member.get_role_display()}.")
    except teams.TeamChangeRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("team", team_id=team_id)


@needs(Action.MANAGE_TEAM)
@require_POST
def invitation_new(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    mine = team_membership(request, team_id)
    form = InvitationForm(request.POST, granter=mine)
    if not form.is_valid():
        return _team_page(request, mine, invitation_form=form, status=400)
    invitation, token = teams.invite(
        mine.team, Role(form.cleaned_data["role"]), mine, form.cleaned_data["note"]
    )
    # Shown once, here: only its digest is stored.
    link = request.build_absolute_uri(reverse("invitation", args=[token]))
    return _team_page(request, mine, link=link, new_invitation=invitation)


@needs(Action.MANAGE_TEAM)
@require_POST
def invitation_revoke(request: HtmxHttpRequest, team_id: int, invitation_id: int) -> HttpResponse:
    mine = team_membership(request, team_id)
    invitation = get_object_or_404(mine.team.invitations, pk=invitation_id)
    teams.revoke(invitation, mine)
    messages.success(request, "Invitation withdrawn: its link no longer works.")
    return redirect("team", team_id=team_id)


@needs(Action.MANAGE_TEAM)
@require_POST
def team_settings(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    team = team_membership(request, team_id).team
    required = request.POST.get("require_second_factor") == "on"
    if required != team.require_second_factor:
        team.require_second_factor = required
        team.save(update_fields=["require_second_factor"])
        done = "required" if required else "stopped requiring"
        teams.audit(team, request.user, f"{done} a second factor (TOTP) of the members")
        messages.success(
            request,
            "Members give a one-time code from their next sign-in on."
            if required
            else "Members no longer give a one-time code.",
        )
    return redirect("team", team_id=team_id)


@needs(Action.MANAGE_TEAM)
@require_GET
def audit_log(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    team = team_membership(request, team_id).team
    context = {"team": team, "entries": team.audit_entries.all()[:AUDIT_SHOWN]}
    return render(request, "teams/audit.html", context)


# An invitation is for studios without single sign-on: its link lets a newcomer make an
# account, which no other page does, or a signed-in user join.
@login_not_required
@needs(Action.READ)
@require_http_methods(["GET", "POST"])
def invitation(request: HtmxHttpRequest, token: str) -> HttpResponse:
    try:
        found = teams.open_invitation(token)
    except teams.TeamChangeRefused as refusal:
        return render(request, "teams/invitation.html", {"refusal": str(refusal)}, status=410)
    signed_in = request.user.is_authenticated
    form = None if signed_in else UserCreationForm(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            # One transaction: a newcomer's account is kept only if the invitation took.
            with transaction.atomic():
                user = request.user if form is None else form.save()
                membership = teams.accept(token, user)
        except teams.TeamChangeRefused as refusal:
            return render(request, "teams/invitation.html", {"refusal": str(refusal)}, status=410)
        if form is not None:
            login(request, user, backend="convai_dashboard.accounts.backends.PasswordBackend")
        role = membership.get_role_display()
        messages.success(request, f"You joined {membership.team} as {role}.")
        return redirect("home")
    context = {"invitation": found, "form": form}
    return render(
        request, "teams/invitation.html", context, status=400 if form and form.errors else 200
    )
