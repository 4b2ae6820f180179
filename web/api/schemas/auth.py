"""Signing in and accounts: credentials in, the session and the account out."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from manufacturing.accounts.passwords import MAX_PASSWORD_BYTES
from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import Principal


class Credentials(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_BYTES)


class Registration(Credentials):
    name: str = Field("", max_length=200)


class NewAccount(Credentials):
    role: Role


class AccountOut(BaseModel):
    id: int
    email: str
    role: Role
    customer_id: int | None
    email_verified: bool = Field(description="The address was proven by the e-mailed link.")
    proof_needed: bool = Field(
        description="The shop holds records for this address that wait for proof (the e-mailed link, or the "
        "claim code given in the shop: POST /api/auth/claim); until then the account keeps nothing."
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
