import type { NetworkRecord } from './network-store.js';

export interface PortRule {
  protocol: 'tcp' | 'udp';
  hostIp: string; // 0.0.0.0 = every local address
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export const TABLE = 'skiff';

/**
 * The whole `ip skiff` table, rebuilt from state and swapped in one nft transaction
 * (declare, delete, re-create): there is never a moment with half the rules.
 *
 * Packet paths (docs/networking.md):
 *  - published ports: DNAT in prerouting (other hosts) and output (this host, including
 *    127.0.0.1, which needs route_localnet on the bridge and a masquerade so replies
 *    come back) for destinations that are local addresses;
 *  - outbound: masquerade of each non-internal subnet leaving through another interface;
 *  - isolation: bridges do not forward to each other; internal networks forward nowhere;
 *  - loopback guard: route_localnet on a bridge would also let a container reach the host's
 *    127.0.0.1-only services by sending frames addressed to 127.0.0.1 to the gateway's MAC
 *    (CVE-2020-8558); no legitimate packet arriving from a bridge has a 127.0.0.0/8 source or
 *    destination on the wire (127.0.0.1 -> container is masqueraded to the gateway before it
 *    leaves), so such packets are dropped before conntrack and NAT ever see them.
 */
export function buildRuleset(networks: NetworkRecord[], ports: PortRule[], table = TABLE, mark?: string): string {
  const bridges = networks.filter((n) => n.driver === 'bridge' && n.bridge && n.subnet);
  const q = (s: string) => JSON.stringify(s);
  const lines: string[] = [];
  lines.push(`table ip ${table} {}`, `delete table ip ${table}`, `table ip ${table} {`);
  // whose table this is, for `nft list tables` readers and the agent's own uninstall
  if (mark) lines.push(`  comment ${q(mark)}`);

  if (bridges.length) {
    const iif = `{ ${bridges.map((n) => q(n.bridge!)).join(', ')} }`;
    lines.push('  chain loopback_guard {', '    type filter hook prerouting priority -300; policy accept;');
    lines.push(`    iifname ${iif} ip daddr 127.0.0.0/8 counter drop`, `    iifname ${iif} ip saddr 127.0.0.0/8 counter drop`, '  }');
  }

  lines.push('  chain publish {');
  for (const p of ports) {
    const daddr = p.hostIp && p.hostIp !== '0.0.0.0' ? `ip daddr ${p.hostIp} ` : '';
    lines.push(`    ${daddr}${p.protocol} dport ${p.hostPort} dnat to ${p.containerIp}:${p.containerPort}`);
  }
  lines.push('  }');
  lines.push('  chain prerouting {', '    type nat hook prerouting priority -100; policy accept;', '    fib daddr type local jump publish', '  }');
  lines.push('  chain output {', '    type nat hook output priority -100; policy accept;', '    fib daddr type local jump publish', '  }');

  lines.push('  chain postrouting {', '    type nat hook postrouting priority 100; policy accept;');
  for (const n of bridges) {
    lines.push(`    ip saddr 127.0.0.0/8 oifname ${q(n.bridge!)} masquerade`);
    if (!n.internal) lines.push(`    ip saddr ${n.subnet} oifname != ${q(n.bridge!)} masquerade`);
  }
  lines.push('  }');

  lines.push('  chain forward {', '    type filter hook forward priority 0; policy accept;');
  for (const n of bridges) {
    if (n.internal) {
      lines.push(`    iifname ${q(n.bridge!)} oifname != ${q(n.bridge!)} drop`);
      lines.push(`    oifname ${q(n.bridge!)} iifname != ${q(n.bridge!)} drop`);
    }
    const others = bridges.filter((o) => o !== n).map((o) => q(o.bridge!));
    if (others.length) lines.push(`    iifname ${q(n.bridge!)} oifname { ${others.join(', ')} } drop`);
  }
  lines.push('  }');
  lines.push('}');
  return lines.join('\n') + '\n';
}

export function deleteRuleset(table = TABLE): string {
  return `table ip ${table} {}\ndelete table ip ${table}\n`;
}
