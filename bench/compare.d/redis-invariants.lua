-- bench/compare's check after the runs: copies on the shelf plus active loans equal the copies
-- owned, no shelf count is out of range, and no member holds more than the limit.
-- ARGV = items, members, copies, loan limit. Returns {on shelf, on loan, violations}.
local items, members, copies, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local shelf, out, violations = 0, 0, 0
for item = 1, items do
    local available = tonumber(redis.call('GET', 'item:' .. item))
    if available < 0 or available > copies then violations = violations + 1 end
    shelf = shelf + available
end
for member = 1, members do
    local held = redis.call('LLEN', 'member:' .. member .. ':loans')
    if held > limit then violations = violations + 1 end
    out = out + held
end
if shelf + out ~= items * copies then violations = violations + 1 end
return {shelf, out, violations}
