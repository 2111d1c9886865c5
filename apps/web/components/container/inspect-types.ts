/** The parts of `docker inspect` JSON the detail page reads (the agent returns Docker's shape). */
/** `State.Health` when the container has a health check */
export interface ContainerHealth {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  RestartCount: number;
  State: { Status: string; Running: boolean; Paused: boolean; OOMKilled: boolean; Pid: number; ExitCode: number; Error: string; StartedAt: string; FinishedAt: string; Health?: ContainerHealth };
  HostConfig: { NetworkMode: string; RestartPolicy: { Name: string; MaximumRetryCount: number }; Memory: number; NanoCpus: number; AutoRemove: boolean };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
  Config: { Image: string; Env: string[] | null; Labels: Record<string, string> | null; Tty: boolean; User: string; WorkingDir: string; Hostname: string };
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null>;
    Networks: Record<string, { IPAddress: string; IPPrefixLen?: number; Gateway: string; MacAddress: string; Aliases?: string[] | null }>;
  };
}
