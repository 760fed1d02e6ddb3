"""Account vocabulary: who a user is (role) and where staff stand on a recruiter (verification)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CANDIDATE = "candidate"
    RECRUITER = "recruiter"
    STAFF = "staff"  # ANCT moderators

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.CANDIDATE: "Candidat",
    Role.RECRUITER: "Recruteur",
    Role.STAFF: "Équipe ANCT",
}


# Who acts when no user does: the CLI, the periodic expiry, the import, an offer's end.
SYSTEM = "system"


class Verification(StrEnum):
    """Recruiters start `pending`; staff verify or refuse them. Other roles stay `none`."""

    NONE = "none"
    PENDING = "pending"
    VERIFIED = "verified"
    REFUSED = "refused"
