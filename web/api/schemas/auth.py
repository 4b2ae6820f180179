"""Signing in and accounts: credentials in, the session and the account out; claim codes; what a customer
account holds."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, EmailStr, Field

from manufacturing.accounts.identity import ClaimSlip
from manufacturing.accounts.passwords import MAX_PASSWORD_BYTES
from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import HeldRecords, Principal


class Credentials(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_BYTES)


class Registration(Credentials):
    """A customer's own account: it holds nothing until the address is proven (docs/auth.md)."""


class NewAccount(Credentials):
    role: Role


class AccountOut(BaseModel):
    id: int
    email: str
    role: Role
    customer_id: int | None
    email_verified: bool = Field(description="The address was proven by the e-mailed link.")
    proof_needed: bool = Field(
        description="A customer account whose address is not proven yet: it keeps nothing, and sees nothing "
        "recorded under the address, until the e-mailed link is followed or the claim code given in the shop "
        "is entered (POST /api/auth/claim)."
    )

    @classmethod
    def of(cls, principal: Principal) -> AccountOut:
        return cls(id=principal.account_id, email=principal.email, role=principal.role,
                   customer_id=principal.customer_id, email_verified=principal.email_verified,
                   proof_needed=principal.proof_needed)  # fmt: skip


class ClaimIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="The claim code as printed (case, spaces and "
                      "dashes do not matter).")  # fmt: skip


class SessionOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; browsers also get the cookie.")
    token_type: str = "bearer"
    expires_in_s: int
    account: AccountOut


class ClaimCodeIn(BaseModel):
    email: EmailStr = Field(description="The address staff recorded the walk-in customer under.")


class ClaimCodeOut(BaseModel):
    """A claim code to print for a walk-in customer."""

    email: str
    claim_code: str = Field(description="`XXXX-XXXX-XXXX`; works once, for the account of `email`.")
    expires_at: datetime

    @classmethod
    def of(cls, slip: ClaimSlip) -> ClaimCodeOut:
        return cls(email=slip.email, claim_code=slip.code, expires_at=slip.expires_at)


class HeldScanOut(BaseModel):
    id: int
    side: str | None = Field(description="Null until the scan is measured.")
    foot_length_mm: float | None
    created_at: datetime


class HeldDesignOut(BaseModel):
    id: int
    revision: int
    style: str
    created_at: datetime


class HeldOrderOut(BaseModel):
    number: str
    created_at: datetime


class RecordsOut(BaseModel):
    """The signed-in customer's scans, design revisions and orders, oldest first (empty while `proof_needed`)."""

    scans: list[HeldScanOut]
    designs: list[HeldDesignOut]
    orders: list[HeldOrderOut]

    @classmethod
    def of(cls, held: HeldRecords) -> RecordsOut:
        return cls(
            scans=[HeldScanOut(id=s.id, side=s.side, foot_length_mm=s.foot_length_mm, created_at=s.created_at)
                   for s in held.scans],
            designs=[HeldDesignOut(id=d.id, revision=d.revision, style=d.style, created_at=d.created_at)
                     for d in held.designs],
            orders=[HeldOrderOut(number=o.number, created_at=o.created_at) for o in held.orders],
        )  # fmt: skip
