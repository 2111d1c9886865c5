#ifndef SKIFF_ADDON_NETNS_H
#define SKIFF_ADDON_NETNS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A container's network plumbing over rtnetlink, without spawning `ip`. Every function
 * returns 0, or -1 with a one-line reason in err. */

/* Creates a network namespace bound at `path` (like `ip netns add`: the directory of
 * `path` becomes a shared bind mount of itself so the binding propagates) with lo up. */
int netns_create(const char *path, char *err, size_t errlen);

/* Unbinds and removes `path`; the namespace goes once nothing else holds it. */
int netns_delete(const char *path, char *err, size_t errlen);

struct veth_spec {
  const char *netns; /* namespace file of the container */
  const char *host;  /* host-side name, attached to `bridge` and brought up */
  const char *peer;  /* name inside the namespace (eth0, eth1...) */
  const char *bridge;
  const unsigned char *mac; /* 6 bytes for the peer */
  unsigned addr;            /* peer IPv4 address, host byte order */
  unsigned prefix;
  unsigned gateway; /* default route via this address when nonzero, host byte order */
};

/* Creates the veth pair with the peer inside the namespace, configured and up. */
int veth_setup(const struct veth_spec *s, char *err, size_t errlen);

/* Deletes a host-side link by name; a missing link is not an error. */
int link_delete(const char *name, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
