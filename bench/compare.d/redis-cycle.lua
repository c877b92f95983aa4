-- The checkout-cycle workload as one Redis script (bench/compare), run with EVALSHA and no keys:
-- ARGV = member draw, item draw, members, items. redis-benchmark fills both draws with
-- __rand_int__ (0 ... its -r range - 1, a common multiple of both counts, so the modulo is even).
-- Keys: item:<id> = copies on the shelf; member:<id> = hash {status, card_expiry, loan_limit};
-- member:<id>:loans = list of "<loan id>:<item id>", oldest first; loan:<id> = hash of the loan;
-- loans:next = last loan id. Returns 0 (loan made), 1 (no copy), 2 (already held), 3 (may not borrow).
local member = tonumber(ARGV[1]) % tonumber(ARGV[3]) + 1
local item = tonumber(ARGV[2]) % tonumber(ARGV[4]) + 1
local memberKey = 'member:' .. member
local loansKey = memberKey .. ':loans'
local now = redis.call('TIME')[1]

local profile = redis.call('HMGET', memberKey, 'status', 'card_expiry', 'loan_limit')
if profile[1] ~= 'active' or tonumber(profile[2]) < tonumber(now) then return 3 end

local held = redis.call('LRANGE', loansKey, 0, -1)
local first = 1
if #held >= tonumber(profile[3]) then
    local loanId, oldItem = string.match(held[1], '^(%d+):(%d+)$')
    redis.call('LPOP', loansKey)
    redis.call('HSET', 'loan:' .. loanId, 'returned_at', now)
    redis.call('INCR', 'item:' .. oldItem)
    first = 2
end

local itemKey = 'item:' .. item
if tonumber(redis.call('GET', itemKey)) <= 0 then return 1 end
local suffix = ':' .. item
for index = first, #held do
    if string.sub(held[index], -#suffix) == suffix then return 2 end
end
local loanId = redis.call('INCR', 'loans:next')
redis.call('DECR', itemKey)
redis.call('HSET', 'loan:' .. loanId, 'item', item, 'member', member, 'checked_out_at', now)
redis.call('RPUSH', loansKey, loanId .. suffix)
return 0
