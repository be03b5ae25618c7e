"""All cart storage: one Redis hash per owner (`cart:{owner}` -> product id -> quantity)
whose expiry every write resets. Each change is one atomic step (a Lua script or a
MULTI), so limits hold and no increment is lost under concurrency. Nothing else is
stored: no side keys that could outlive a cart.

Every step answers with the cart as it left it (its lines and remaining time to live), read
in the same script, so a change is one round trip to Redis and a read is one too."""
from __future__ import annotations

from datetime import datetime, timezone

import redis.asyncio as aioredis

from cartservice import rules

# Each script ends with this: {outcome, value, the cart's time to live in ms, its lines
# as HGETALL gives them}.
_ANSWER = """
local function answer(key, outcome, value)
  return {outcome, value, redis.call('PTTL', key), redis.call('HGETALL', key)}
end
"""

# KEYS[1] cart. Outcome 1.
_READ = _ANSWER + """
return answer(KEYS[1], 1, 0)
"""

# KEYS[1] cart; ARGV product, units to add, max units per line, max lines, ttl ms.
# Outcome 1 (value: new quantity) | 0 (value: quantity already there; the line would pass
# the max) | -1 (the cart is full).
_ADD = _ANSWER + """
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return answer(KEYS[1], -1, 0)
end
if current + tonumber(ARGV[2]) > tonumber(ARGV[3]) then
  return answer(KEYS[1], 0, current)
end
local new = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return answer(KEYS[1], 1, new)
"""

# KEYS[1] cart; ARGV product, quantity (0 removes), max lines, ttl ms. Outcome 1, or -1
# when a new line would pass the max lines.
_SET = _ANSWER + """
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
    return answer(KEYS[1], -1, 0)
  end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return answer(KEYS[1], 1, 0)
"""

# KEYS[1] cart; ARGV product, ttl ms. Outcome 1. (PEXPIRE on a key the HDEL removed, its
# last line, does nothing.)
_REMOVE = _ANSWER + """
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return answer(KEYS[1], 1, 0)
"""

# KEYS[1] source cart, KEYS[2] target cart; ARGV max units per line, ttl ms. Moves every
# line, adding quantities (capped), then deletes the source. Answers with the target cart
# (value: lines moved).
_MERGE = _ANSWER + """
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
return answer(KEYS[2], 1, #lines / 2)
"""


def cart_key(owner_id: str) -> str:
    return f"cart:{owner_id}"


class CartRepository:
    def __init__(self, client: aioredis.Redis, ttl_seconds: int):
        self._redis = client
        self._ttl_ms = ttl_seconds * 1000
        self._read = client.register_script(_READ)
        self._add = client.register_script(_ADD)
        self._set = client.register_script(_SET)
        self._remove = client.register_script(_REMOVE)
        self._merge = client.register_script(_MERGE)

    async def get(self, owner_id: str) -> rules.Cart:
        _, cart = await self._run(self._read, owner_id)
        return cart

    async def add(self, owner_id: str, product_id: str, quantity: int) -> rules.Cart:
        (outcome, value), cart = await self._run(
            self._add, owner_id, product_id, quantity, rules.MAX_QUANTITY, rules.MAX_LINES, self._ttl_ms)
        if outcome == -1:
            raise rules.too_many_lines()
        if outcome == 0:
            raise rules.line_too_large(product_id, int(value), quantity)
        return cart

    async def set_quantity(self, owner_id: str, product_id: str, quantity: int) -> rules.Cart:
        (outcome, _), cart = await self._run(self._set, owner_id, product_id, quantity, rules.MAX_LINES, self._ttl_ms)
        if outcome == -1:
            raise rules.too_many_lines()
        return cart

    async def remove(self, owner_id: str, product_id: str) -> rules.Cart:
        _, cart = await self._run(self._remove, owner_id, product_id, self._ttl_ms)
        return cart

    async def empty(self, owner_id: str) -> None:
        await self._redis.delete(cart_key(owner_id))

    async def merge(self, source_owner_id: str, target_owner_id: str) -> rules.Cart:
        _, cart = await self._run(self._merge, target_owner_id, rules.MAX_QUANTITY, self._ttl_ms,
                                  keys=[cart_key(source_owner_id), cart_key(target_owner_id)])
        return cart

    async def _run(self, script, owner_id: str, *args, keys: list[str] | None = None) -> tuple[tuple, rules.Cart]:
        """Run a script over the owner's cart: its (outcome, value) and the cart it left."""
        outcome, value, ttl_ms, flat = await script(keys=keys or [cart_key(owner_id)], args=list(args))
        fields = dict(zip(flat[::2], flat[1::2]))
        return (outcome, value), rules.cart_from_storage(owner_id, fields, ttl_ms, datetime.now(timezone.utc))
