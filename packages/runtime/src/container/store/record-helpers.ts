import type { PortBinding } from '../../types.js';
import type { ContainerRecord } from './container-record.js';

/** the container's network mode: anything but none/host is a bridge network */
export function networkMode(network: string | undefined): 'none' | 'host' | 'bridge' {
  return network === 'none' || network === 'host' ? network : 'bridge';
}

/** -p bindings plus, with -P, every EXPOSEd port on a random host port */
export function portsOf(record: ContainerRecord): PortBinding[] {
  const ports = [...(record.spec.ports ?? [])];
  if (record.spec.publishAll) {
    for (const e of record.exposedPorts ?? []) {
      const [port, proto = 'tcp'] = e.split('/');
      const containerPort = Number(port);
      const protocol = proto === 'udp' ? 'udp' : 'tcp';
      if (!ports.some((p) => p.containerPort === containerPort && p.protocol === protocol)) ports.push({ containerPort, protocol });
    }
  }
  return ports;
}
