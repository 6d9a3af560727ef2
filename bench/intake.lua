-- wrk script for the intake benchmark: replays pre-signed referral webhooks (written by Benchmark.java, one per line:
-- webhook-id <TAB> webhook-timestamp <TAB> webhook-signature <TAB> JSON body), each thread its own share, each once.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, count, path = args[1], tonumber(args[2]), args[3] or "/webhooks/referrals"
  requests = {}
  local n = 0
  for line in io.lines(file) do
    if n % count == index then
      local id, ts, sig, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/json", ["webhook-id"] = id, ["webhook-timestamp"] = ts,
        ["webhook-signature"] = sig }, body)
    end
    n = n + 1
  end
  next_request = 0
end

function request()
  next_request = next_request + 1
  if next_request > #requests then
    wrk.thread:stop()
  end
  return requests[math.min(next_request, #requests)]
end
