"""Who reads texts into the ledger and which documents and proposals they see and decide.

City admins (everything), area officials and stewards (documents with a proposal in their
area, or that they uploaded; deciding only proposals in their area); every other role is
refused (403). A document or proposal out of sight is 404.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_path

from .models import IngestedDocument, Proposal


def can_review(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD))
    )


def may_open(user: User) -> bool:
    """Whether the menu shows "Read a text"."""
    return can_review(user)


def require_reviewer(user: User) -> None:
    if not can_review(user):
        raise PermissionDenied("only staff who keep the ledger review ingested texts")


def in_scope(user: Any, proposal: Proposal) -> bool:
    """Whether the proposal lies in the user's area (theirs to decide)."""
    path = region_path(user)
    if path is None:
        return True
    return proposal.region is not None and proposal.region.path.startswith(path)


def documents_for(user: User) -> QuerySet[IngestedDocument]:
    path = region_path(user)
    qs = IngestedDocument.objects.all()
    if path is None:
        return qs
    return qs.filter(Q(uploaded_by=user) | Q(proposals__region__path__startswith=path)).distinct()


def get_document(user: User, pk: int) -> IngestedDocument:
    """The document if the user reviews texts (else 403) and sees it (else 404)."""
    require_reviewer(user)
    try:
        return documents_for(user).get(pk=pk)
    except IngestedDocument.DoesNotExist:
        raise Http404("no such document") from None


def get_proposal(user: User, pk: int) -> Proposal:
    """The proposal if the user sees its document (else 404) and it lies in their area
    (else 403)."""
    require_reviewer(user)
    proposal = get_object_or_404(Proposal.objects.select_related("region", "document"), pk=pk)
    if not documents_for(user).filter(pk=proposal.document_id).exists():
        raise Http404("no such proposal")
    if not in_scope(user, proposal):
        raise PermissionDenied("outside your area")
    return proposal
