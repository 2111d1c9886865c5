import { ProxyListenError, type ReverseProxy } from '@skiff/proxy';

/** opens the proxy's listeners; a failure names the flag that asked for the address */
export async function startProxy(proxy: ReverseProxy): Promise<void> {
  try {
    await proxy.start();
  } catch (e) {
    if (!(e instanceof ProxyListenError)) throw e;
    const flag = e.listener === 'http' ? '--proxy-http' : '--proxy-https';
    const hint = e.code === 'EADDRINUSE' ? ` (another web server? set ${flag} to another address, or off)` : '';
    throw new Error(`${flag}: ${e.message}${hint}`);
  }
}
