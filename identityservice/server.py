"""The identity gRPC servicer: protobuf in, domain call, protobuf out. Nothing else.

Errors go through the shared interceptor and STATUS_BY_ERROR; an error's `field`,
`reason` and `metadata` become the status's BadRequest and ErrorInfo
(service_runtime.status_details)."""
from __future__ import annotations

import grpc

from service_runtime import client_address, paging
from service_runtime.db import DATA_ERRORS, UNAVAILABLE_ERRORS
from service_runtime.prototime import to_timestamp
from shop.identity.v1 import identity_pb2, identity_pb2_grpc

from identityservice import errors
from identityservice.accounts import Accounts
from identityservice.client_limits import ClientLimits
from identityservice.tokens import Claims, TokenPair
from identityservice.users import User

# The one table from identity's named errors to status codes.
STATUS_BY_ERROR = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    paging.InvalidPage: grpc.StatusCode.INVALID_ARGUMENT,
    errors.EmailTaken: grpc.StatusCode.ALREADY_EXISTS,
    errors.InvalidCredentials: grpc.StatusCode.UNAUTHENTICATED,
    errors.InvalidRefreshToken: grpc.StatusCode.UNAUTHENTICATED,
    errors.SessionEnded: grpc.StatusCode.UNAUTHENTICATED,
    errors.WrongPassword: grpc.StatusCode.PERMISSION_DENIED,
    # Who is asking is proven (the password is right); they may not sign in: 403, where
    # the lockout after failed guesses (TooManyAttempts) is 429.
    errors.AccountLocked: grpc.StatusCode.PERMISSION_DENIED,
    errors.TooManyAttempts: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.TooManyRequests: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.UserNotFound: grpc.StatusCode.NOT_FOUND,
    errors.LastAdmin: grpc.StatusCode.FAILED_PRECONDITION,
    **UNAVAILABLE_ERRORS,
    **DATA_ERRORS,
}


def user_to_proto(user: User) -> identity_pb2.User:
    return identity_pb2.User(
        id=user.id, email=user.email, display_name=user.display_name, roles=list(user.roles),
        create_time=to_timestamp(user.create_time), update_time=to_timestamp(user.update_time),
        locked=user.locked, lock_time=to_timestamp(user.lock_time), lock_reason=user.lock_reason,
    )


def claims_to_proto(claims: Claims) -> identity_pb2.TokenClaims:
    return identity_pb2.TokenClaims(sub=claims.sub, iss=claims.iss, aud=claims.aud, exp=claims.exp,
                                    iat=claims.iat, jti=claims.jti, roles=list(claims.roles))


def _tokens(pair: TokenPair) -> dict:
    return {"access_token": claims_to_proto(pair.access), "refresh_token": claims_to_proto(pair.refresh)}


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, accounts: Accounts, client_limits: ClientLimits):
        self._accounts = accounts
        self._client_limits = client_limits

    def _count_password_check(self, context) -> None:
        self._client_limits.check(client_address.of_call(context.invocation_metadata(), context.peer()))

    async def Register(self, request, context):
        user = await self._accounts.register(request.email, request.password, request.display_name)
        return identity_pb2.RegisterResponse(user=user_to_proto(user))

    async def Authenticate(self, request, context):
        self._count_password_check(context)
        user, pair = await self._accounts.authenticate(request.email, request.password)
        return identity_pb2.AuthenticateResponse(user=user_to_proto(user), **_tokens(pair))

    async def Refresh(self, request, context):
        user, pair = await self._accounts.refresh(request.user_id, request.jti)
        return identity_pb2.RefreshResponse(user=user_to_proto(user), **_tokens(pair))

    async def Logout(self, request, context):
        await self._accounts.logout(request.user_id, request.jti, request.all_sessions)
        return identity_pb2.LogoutResponse()

    async def CheckSession(self, request, context):
        user = await self._accounts.check_session(request.user_id, request.jti)
        return identity_pb2.CheckSessionResponse(user=user_to_proto(user))

    async def GetProfile(self, request, context):
        return identity_pb2.GetProfileResponse(user=user_to_proto(await self._accounts.get_profile(request.user_id)))

    async def UpdateProfile(self, request, context):
        if request.current_password:
            self._count_password_check(context)
        user = await self._accounts.update_profile(
            request.user_id,
            display_name=request.display_name if request.HasField("display_name") else None,
            email=request.email if request.HasField("email") else None,
            current_password=request.current_password,
        )
        return identity_pb2.UpdateProfileResponse(user=user_to_proto(user))

    async def ChangePassword(self, request, context):
        self._count_password_check(context)
        await self._accounts.change_password(request.user_id, request.current_password, request.new_password)
        return identity_pb2.ChangePasswordResponse()

    async def DeleteAccount(self, request, context):
        self._count_password_check(context)
        await self._accounts.delete_account(request.user_id, request.password)
        return identity_pb2.DeleteAccountResponse()

    async def ListUsers(self, request, context):
        page = paging.paging(request.page_size, request.page_token)
        found, total = await self._accounts.list_users(page, request.query)
        return identity_pb2.ListUsersResponse(users=[user_to_proto(u) for u in found],
                                              next_page_token=page.next_token(len(found), total), total_size=total)

    async def SetUserRoles(self, request, context):
        user = await self._accounts.set_roles(request.user_id, list(request.roles))
        return identity_pb2.SetUserRolesResponse(user=user_to_proto(user))

    async def LockUser(self, request, context):
        user = await self._accounts.lock_user(request.user_id, request.reason)
        return identity_pb2.LockUserResponse(user=user_to_proto(user))

    async def UnlockUser(self, request, context):
        user = await self._accounts.unlock_user(request.user_id)
        return identity_pb2.UnlockUserResponse(user=user_to_proto(user))
