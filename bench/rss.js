// Preloaded into benchmark children: reports the process's peak RSS and CPU time on exit.
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(
    `BENCH_MAXRSS_KB ${u.maxRSS}\nBENCH_CPU_S ${((u.userCPUTime + u.systemCPUTime) / 1e6).toFixed(2)}\n`,
  );
});
