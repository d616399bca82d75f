// Preloaded into benchmark children: reports the process's peak RSS on exit.
process.on('exit', () => process.stderr.write(`BENCH_MAXRSS_KB ${process.resourceUsage().maxRSS}\n`));
