import { expect } from 'chai';
import { parseCpuTimes } from './cpu.js';
import { parseDiskStats } from './disk.js';
import { parseMounts } from './filesystem.js';
import { memoryStates } from './memory.js';
import { countTcpStates, parseNetDev } from './network.js';
import { parseSwaps } from './paging.js';
import { processState } from './processes.js';

// The /proc formats' corners, on text as the kernel writes it.
describe('hostmetrics: reading /proc files', function () {
  it('takes per-CPU lines of /proc/stat in USER_HZ, not the total line', function () {
    const times = parseCpuTimes('cpu  300 0 100 1700 0 0 0 0 0 0\ncpu0 150 1 50 850 7 2 3 4 20 0\ncpu1 150 0 50 850 0 0 0 0 0 0\nintr 1\n');
    expect([...times.keys()]).to.deep.equal(['cpu0', 'cpu1']);
    expect(times.get('cpu0')).to.deep.equal([1.5, 0.01, 0.5, 8.5, 0.07, 0.02, 0.03, 0.04]);
  });

  it('reads meminfo as the Collector: cached with reclaimable slab, used the rest', function () {
    const kib = { MemTotal: 1000, MemFree: 100, Buffers: 50, Cached: 300, SReclaimable: 40, SUnreclaim: 10 };
    const { total, states } = memoryStates(Object.entries(kib).map(([key, v]) => `${key}:   ${v} kB`).join('\n'));
    expect(total).to.equal(1000 * 1024);
    expect(states).to.deep.equal({ used: 510 * 1024, free: 100 * 1024, buffered: 50 * 1024, cached: 340 * 1024, slab_reclaimable: 40 * 1024, slab_unreclaimable: 10 * 1024 });
    expect(() => memoryStates('MemTotal: 1 kB\n')).to.throw('no MemFree in /proc/meminfo');
  });

  it('unescapes mount points and reads their mode', function () {
    expect(parseMounts('/dev/sdb1 /media/my\\040disk ext4 ro,relatime 0 0\nproc /proc proc rw,nosuid 0 0\n')).to.deep.equal([
      { device: '/dev/sdb1', mountpoint: '/media/my disk', type: 'ext4', mode: 'ro' },
      { device: 'proc', mountpoint: '/proc', type: 'proc', mode: 'rw' },
    ]);
  });

  it('reads /proc/net/dev also where a counter touches the colon', function () {
    const text = 'Inter-|   Receive\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n  eth0:12345678901 10 1 2 0 0 0 0 999 20 3 4 0 0 0 0\n';
    expect(parseNetDev(text)).to.deep.equal([{ device: 'eth0', receive: [12345678901, 10, 1, 2], transmit: [999, 20, 3, 4] }]);
  });

  it('counts TCP connections by state over tcp and tcp6, every state present', function () {
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const counts = countTcpStates([`${header}   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1\n   1: 0100007F:1F90 0100007F:D2C4 01 0 0\n`, `${header}   0: 0:1 0:0 0A 0 0\n`]);
    expect(counts.get('LISTEN')).to.equal(2);
    expect(counts.get('ESTABLISHED')).to.equal(1);
    expect(counts.get('TIME_WAIT')).to.equal(0);
    expect(counts.size).to.equal(11);
  });

  it('reads diskstats, swaps and a process state after a command name with spaces and parentheses', function () {
    const [disk] = parseDiskStats('   8       0 sda 100 2 800 30 50 1 400 20 0 45 50 0 0 0 0\n');
    expect(disk).to.deep.include({ device: 'sda', reads: 100, sectorsRead: 800, writes: 50, inProgress: 0, ioMs: 45, weightedIoMs: 50 });
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n/swapfile  file  2097148  1024  -2\n')).to.deep.equal([{ device: '/swapfile', totalBytes: 2097148 * 1024, usedBytes: 1024 * 1024 }]);
    expect(processState('4242 (my (odd) name) D 1 4242 4242 0 -1')).to.equal('D');
  });
});
