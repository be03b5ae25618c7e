"""All cart storage: one Redis hash per owner (`cart:{owner}` -> product id -> quantity,
and the applied coupon code under rules.COUPON_FIELD, which no product id can be) whose
expiry every write resets. Each change is one atomic step (a Lua script or a
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
local function lines(key)
  return redis.call('HLEN', key) - redis.call('HEXISTS', key, '""" + rules.COUPON_FIELD + """')
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
if current == 0 and lines(KEYS[1]) >= tonumber(ARGV[4]) then
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
  if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and lines(KEYS[1]) >= tonumber(ARGV[3]) then
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

# KEYS[1] source cart, KEYS[2] target cart; ARGV max units per line, max lines, ttl ms.
# Moves the lines in product id order, adding quantities up to the max per line and new
# lines while the target has fewer than the max lines, then deletes the source. Answers
# with the target cart; value: what did not fit, as product, units, product, units...
_MERGE = _ANSWER + """
local coupon = redis.call('HGET', KEYS[1], '""" + rules.COUPON_FIELD + """')
redis.call('HDEL', KEYS[1], '""" + rules.COUPON_FIELD + """')
if coupon and redis.call('HEXISTS', KEYS[2], '""" + rules.COUPON_FIELD + """') == 0 then
  redis.call('HSET', KEYS[2], '""" + rules.COUPON_FIELD + """', coupon)
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
local flat = redis.call('HGETALL', KEYS[1])
local products = {}
for i = 1, #flat, 2 do products[#products + 1] = flat[i] end
table.sort(products)
local moving = {}
for i = 1, #flat, 2 do moving[flat[i]] = tonumber(flat[i + 1]) end
local max_units, max_lines = tonumber(ARGV[1]), tonumber(ARGV[2])
local left = {}
for _, product in ipairs(products) do
  local units = moving[product]
  local current = tonumber(redis.call('HGET', KEYS[2], product) or '0')
  if current == 0 and lines(KEYS[2]) >= max_lines then
    left[#left + 1] = product
    left[#left + 1] = units
  else
    local total = current + units
    if total > max_units then
      left[#left + 1] = product
      left[#left + 1] = total - max_units
      total = max_units
    end
    if total > current then redis.call('HSET', KEYS[2], product, total) end
  end
end
if #products > 0 then
  redis.call('DEL', KEYS[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return answer(KEYS[2], 1, left)
"""

# KEYS[1] cart; ARGV ttl ms, the order's coupon code (or ''), then product, units, product,
# units... Takes the units away (a line left with none is removed) and the code, if the cart
# holds that one. Outcome 1.
_SUBTRACT = _ANSWER + """
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], '""" + rules.COUPON_FIELD + """') == ARGV[2] then
  redis.call('HDEL', KEYS[1], '""" + rules.COUPON_FIELD + """')
end
for i = 3, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if current > 0 then
    local rest = current - tonumber(ARGV[i + 1])
    if rest > 0 then redis.call('HSET', KEYS[1], ARGV[i], rest) else redis.call('HDEL', KEYS[1], ARGV[i]) end
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return answer(KEYS[1], 1, 0)
"""


# KEYS[1] cart; ARGV code ('' removes it), ttl ms. Outcome 1, or -1 when there is no line
# to apply a code to.
_COUPON = _ANSWER + """
if ARGV[1] == '' then
  redis.call('HDEL', KEYS[1], '""" + rules.COUPON_FIELD + """')
else
  if lines(KEYS[1]) == 0 then return answer(KEYS[1], -1, 0) end
  redis.call('HSET', KEYS[1], '""" + rules.COUPON_FIELD + """', ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return answer(KEYS[1], 1, 0)
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
        self._subtract = client.register_script(_SUBTRACT)
        self._coupon = client.register_script(_COUPON)

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

    async def merge(self, source_owner_id: str, target_owner_id: str) -> tuple[rules.Cart, list[tuple[str, int]]]:
        """The target cart after the merge, and what did not fit (product id, units)."""
        (_, left), cart = await self._run(self._merge, target_owner_id, rules.MAX_QUANTITY, rules.MAX_LINES,
                                          self._ttl_ms, keys=[cart_key(source_owner_id), cart_key(target_owner_id)])
        return cart, [(left[i], int(left[i + 1])) for i in range(0, len(left), 2)]

    async def subtract(self, owner_id: str, items: list[tuple[str, int]], coupon_code: str = "") -> rules.Cart:
        flat = [value for product_id, quantity in items for value in (product_id, quantity)]
        _, cart = await self._run(self._subtract, owner_id, self._ttl_ms, coupon_code, *flat)
        return cart

    async def set_coupon(self, owner_id: str, coupon_code: str) -> rules.Cart:
        """Keep the code with the cart ("" takes it off); rules.empty_cart_coupon() when
        the cart has no line to apply it to."""
        (outcome, _), cart = await self._run(self._coupon, owner_id, coupon_code, self._ttl_ms)
        if outcome == -1:
            raise rules.empty_cart_coupon()
        return cart

    async def _run(self, script, owner_id: str, *args, keys: list[str] | None = None) -> tuple[tuple, rules.Cart]:
        """Run a script over the owner's cart: its (outcome, value) and the cart it left."""
        outcome, value, ttl_ms, flat = await script(keys=keys or [cart_key(owner_id)], args=list(args))
        fields = dict(zip(flat[::2], flat[1::2]))
        return (outcome, value), rules.cart_from_storage(owner_id, fields, ttl_ms, datetime.now(timezone.utc))
