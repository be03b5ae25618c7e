"""All cart storage: one Redis hash per owner (`cart:{owner}` -> product id -> quantity)
whose expiry every write resets. Each change is one atomic step (a Lua script or a
MULTI), so limits hold and no increment is lost under concurrency. Nothing else is
stored: no side keys that could outlive a cart."""
from __future__ import annotations

from datetime import datetime, timezone

import redis.asyncio as aioredis

from cartservice import rules

# KEYS[1] cart; ARGV product, units to add, max units per line, max lines, ttl ms.
# Returns {1, new quantity} | {0, quantity already there} (line would pass the max) |
# {-1, 0} (cart is full).
_ADD = """
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return {-1, 0}
end
if current + tonumber(ARGV[2]) > tonumber(ARGV[3]) then
  return {0, current}
end
local new = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, new}
"""

# KEYS[1] cart; ARGV product, quantity (0 removes), max lines, ttl ms. Returns 1, or -1
# when a new line would pass the max lines.
_SET = """
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
    return -1
  end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""

# KEYS[1] source cart, KEYS[2] target cart; ARGV max units per line, ttl ms. Moves every
# line, adding quantities (capped), then deletes the source. Returns lines moved.
_MERGE = """
local lines = redis.call('HGETALL', KEYS[1])
for i = 1, #lines, 2 do
  local total = tonumber(redis.call('HGET', KEYS[2], lines[i]) or '0') + tonumber(lines[i + 1])
  if total > tonumber(ARGV[1]) then total = tonumber(ARGV[1]) end
  redis.call('HSET', KEYS[2], lines[i], total)
end
if #lines > 0 then
  redis.call('DEL', KEYS[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return #lines / 2
"""


def cart_key(owner_id: str) -> str:
    return f"cart:{owner_id}"


class CartRepository:
    def __init__(self, client: aioredis.Redis, ttl_seconds: int):
        self._redis = client
        self._ttl_ms = ttl_seconds * 1000
        self._add = client.register_script(_ADD)
        self._set = client.register_script(_SET)
        self._merge = client.register_script(_MERGE)

    async def get(self, owner_id: str) -> rules.Cart:
        async with self._redis.pipeline(transaction=True) as pipe:
            fields, ttl_ms = await pipe.hgetall(cart_key(owner_id)).pttl(cart_key(owner_id)).execute()
        return rules.cart_from_storage(owner_id, fields, ttl_ms, datetime.now(timezone.utc))

    async def add(self, owner_id: str, product_id: str, quantity: int) -> rules.Cart:
        outcome, value = await self._add(
            keys=[cart_key(owner_id)],
            args=[product_id, quantity, rules.MAX_QUANTITY, rules.MAX_LINES, self._ttl_ms],
        )
        if outcome == -1:
            raise rules.too_many_lines()
        if outcome == 0:
            raise rules.line_too_large(product_id, int(value), quantity)
        return await self.get(owner_id)

    async def set_quantity(self, owner_id: str, product_id: str, quantity: int) -> rules.Cart:
        outcome = await self._set(
            keys=[cart_key(owner_id)], args=[product_id, quantity, rules.MAX_LINES, self._ttl_ms]
        )
        if outcome == -1:
            raise rules.too_many_lines()
        return await self.get(owner_id)

    async def remove(self, owner_id: str, product_id: str) -> rules.Cart:
        async with self._redis.pipeline(transaction=True) as pipe:
            # PEXPIRE on a key the HDEL removed (its last line) does nothing.
            await pipe.hdel(cart_key(owner_id), product_id).pexpire(cart_key(owner_id), self._ttl_ms).execute()
        return await self.get(owner_id)

    async def empty(self, owner_id: str) -> None:
        await self._redis.delete(cart_key(owner_id))

    async def merge(self, source_owner_id: str, target_owner_id: str) -> rules.Cart:
        await self._merge(
            keys=[cart_key(source_owner_id), cart_key(target_owner_id)], args=[rules.MAX_QUANTITY, self._ttl_ms]
        )
        return await self.get(target_owner_id)
