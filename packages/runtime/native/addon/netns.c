#define _GNU_SOURCE
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One container start used to cost four `ip` processes (each a fork of the whole agent);
 * these are the same rtnetlink requests iproute2 sends, made from a worker thread. */

#define fail(...) (snprintf(err, errlen, __VA_ARGS__), -1)
#define say(...) snprintf(err, errlen, __VA_ARGS__)

/* ---- rtnetlink requests ------------------------------------------------------------ */

struct nl {
  struct mnl_socket *sock;
  unsigned seq, portid;
};

static int nl_open(struct nl *n) {
  n->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!n->sock) return -1;
  if (mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
    mnl_socket_close(n->sock);
    n->sock = NULL;
    return -1;
  }
  n->portid = mnl_socket_get_portid(n->sock);
  n->seq = (unsigned)time(NULL);
  return 0;
}

static void nl_close(struct nl *n) {
  if (n->sock) mnl_socket_close(n->sock);
  n->sock = NULL;
}

static struct nlmsghdr *nl_msg(struct nl *n, char *buf, unsigned short type, unsigned short flags) {
  struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  h->nlmsg_seq = ++n->seq;
  return h;
}

/* Sends one request and runs `cb` on its replies until the ACK; returns 0 or -errno. */
static int nl_call(struct nl *n, struct nlmsghdr *h, mnl_cb_t cb, void *data) {
  if (mnl_socket_sendto(n->sock, h, h->nlmsg_len) < 0) return -errno;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  for (;;) {
    ssize_t r = mnl_socket_recvfrom(n->sock, buf, sizeof buf);
    if (r < 0) return -errno;
    int rc = mnl_cb_run(buf, (size_t)r, h->nlmsg_seq, n->portid, cb, data);
    if (rc <= MNL_CB_STOP) return rc < 0 ? -errno : 0;
  }
}

/* A netlink socket bound to the namespace at `path`: sockets stay in the namespace they
 * were created in, so a short-lived thread enters it just to create one. */
struct ns_socket_job {
  const char *path;
  struct nl *n;
  int err;
};

static void *ns_socket_thread(void *arg) {
  struct ns_socket_job *j = arg;
  int fd = open(j->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) < 0 || nl_open(j->n) < 0) j->err = errno;
  if (fd >= 0) close(fd);
  return NULL;
}

static int nl_open_in(struct nl *n, const char *path) {
  struct ns_socket_job j = {path, n, 0};
  pthread_t t;
  int rc = pthread_create(&t, NULL, ns_socket_thread, &j);
  if (rc) return errno = rc, -1;
  pthread_join(t, NULL);
  if (j.err) return errno = j.err, -1;
  return 0;
}

/* ---- namespaces -------------------------------------------------------------------- */

static pthread_mutex_t shared_dir_lock = PTHREAD_MUTEX_INITIALIZER;

/* iproute2's rule: the netns directory is a shared mount of its own, so a binding made
 * here appears in mount namespaces cloned from this one and goes away from them too. */
static int make_dir_shared(const char *dir, char *err, size_t errlen) {
  pthread_mutex_lock(&shared_dir_lock);
  int rc = 0;
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) rc = fail("mkdir %s: %s", dir, strerror(errno));
  else if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0) {
    if (errno != EINVAL) rc = fail("making %s shared: %s", dir, strerror(errno));
    else if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0 || mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0)
      rc = fail("binding %s: %s", dir, strerror(errno));
  }
  pthread_mutex_unlock(&shared_dir_lock);
  return rc;
}

static int lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    r = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  close(s);
  return r;
}

struct create_job {
  const char *path;
  const char *step;
  int err;
};

/* unshare() moves only this thread, which ends right after: the agent's threads stay put */
static void *create_thread(void *arg) {
  struct create_job *j = arg;
  if (unshare(CLONE_NEWNET) < 0) j->step = "unshare", j->err = errno;
  else if (mount("/proc/thread-self/ns/net", j->path, "none", MS_BIND, NULL) < 0) j->step = "bind", j->err = errno;
  else if (lo_up() < 0) j->step = "lo up", j->err = errno;
  return NULL;
}

int netns_create(const char *path, char *err, size_t errlen) {
  char dirbuf[4096];
  snprintf(dirbuf, sizeof dirbuf, "%s", path);
  if (make_dir_shared(dirname(dirbuf), err, errlen) < 0) return -1;
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return fail("creating %s: %s", path, strerror(errno));
  close(fd);
  struct create_job j = {path, NULL, 0};
  pthread_t t;
  int rc = pthread_create(&t, NULL, create_thread, &j);
  if (rc) j.step = "thread", j.err = rc;
  else pthread_join(t, NULL);
  if (j.err) {
    umount2(path, MNT_DETACH);
    unlink(path);
    return fail("network namespace %s: %s: %s", path, j.step, strerror(j.err));
  }
  return 0;
}

int netns_delete(const char *path, char *err, size_t errlen) {
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) return fail("unmounting %s: %s", path, strerror(errno));
  if (unlink(path) < 0 && errno != ENOENT) return fail("removing %s: %s", path, strerror(errno));
  return 0;
}

/* ---- links --------------------------------------------------------------------------- */

static int ifindex_cb(const struct nlmsghdr *h, void *data) {
  if (h->nlmsg_type == RTM_NEWLINK) *(int *)data = ((struct ifinfomsg *)mnl_nlmsg_get_payload(h))->ifi_index;
  return MNL_CB_OK;
}

static int link_index(struct nl *n, const char *name) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = nl_msg(n, buf, RTM_GETLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(h, IFLA_IFNAME, name);
  int index = 0;
  int rc = nl_call(n, h, ifindex_cb, &index);
  return rc < 0 ? rc : index ? index : -ENODEV;
}

static int create_veth(struct nl *n, const struct veth_spec *s, int nsfd, int master) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = nl_msg(n, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_flags = ifi->ifi_change = IFF_UP;
  mnl_attr_put_strz(h, IFLA_IFNAME, s->host);
  mnl_attr_put_u32(h, IFLA_MASTER, (unsigned)master);
  struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
  mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
  /* the peer's attributes follow an ifinfomsg of its own; it is brought up later, inside
   * (asking for IFF_UP here fails with ENOTCONN: the host end is not registered yet) */
  struct ifinfomsg *pi = mnl_nlmsg_get_payload_tail(h);
  memset(pi, 0, sizeof *pi);
  pi->ifi_family = AF_UNSPEC;
  h->nlmsg_len += MNL_ALIGN(sizeof *pi);
  mnl_attr_put_strz(h, IFLA_IFNAME, s->peer);
  mnl_attr_put_u32(h, IFLA_NET_NS_FD, (unsigned)nsfd);
  mnl_attr_put(h, IFLA_ADDRESS, 6, s->mac);
  mnl_attr_nest_end(h, peer);
  mnl_attr_nest_end(h, data);
  mnl_attr_nest_end(h, info);
  return nl_call(n, h, NULL, NULL);
}

static int set_up(struct nl *n, int index) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = nl_msg(n, buf, RTM_NEWLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = ifi->ifi_change = IFF_UP;
  return nl_call(n, h, NULL, NULL);
}

/* No IPv6 link-local address, hence no DAD, MLD reports or router solicitations: Skiff's
 * networks are IPv4-only (Docker likewise turns IPv6 off on such endpoints), and on a bridge
 * every one of those multicasts is flooded to every other port, so N containers starting
 * cost N² packet deliveries in softirq. Set before the link has carrier: addresses are made
 * at that moment. By name (index 0) or index; a kernel without IPv6 has nothing to turn off. */
static int no_ipv6_addresses(struct nl *n, int index, const char *name) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = nl_msg(n, buf, RTM_NEWLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  if (!index) mnl_attr_put_strz(h, IFLA_IFNAME, name);
  struct nlattr *spec = mnl_attr_nest_start(h, IFLA_AF_SPEC);
  struct nlattr *inet6 = mnl_attr_nest_start(h, AF_INET6);
  mnl_attr_put_u8(h, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
  mnl_attr_nest_end(h, inet6);
  mnl_attr_nest_end(h, spec);
  int e = nl_call(n, h, NULL, NULL);
  return e == -EAFNOSUPPORT ? 0 : e;
}

static int add_address(struct nl *n, int index, unsigned addr, unsigned prefix) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = nl_msg(n, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof *ifa);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (unsigned char)prefix;
  ifa->ifa_index = (unsigned)index;
  unsigned be = htonl(addr);
  mnl_attr_put_u32(h, IFA_LOCAL, be);
  mnl_attr_put_u32(h, IFA_ADDRESS, be);
  return nl_call(n, h, NULL, NULL);
}

static int add_default_route(struct nl *n, int index, unsigned gateway) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = nl_msg(n, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof *rt);
  rt->rtm_family = AF_INET;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(h, RTA_GATEWAY, htonl(gateway));
  mnl_attr_put_u32(h, RTA_OIF, (unsigned)index);
  return nl_call(n, h, NULL, NULL);
}

static int delete_link(struct nl *n, const char *name) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = nl_msg(n, buf, RTM_DELLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(h, IFLA_IFNAME, name);
  return nl_call(n, h, NULL, NULL);
}

int veth_setup(const struct veth_spec *s, char *err, size_t errlen) {
  struct nl host = {0}, inner = {0};
  int nsfd = -1, rc = -1;
  if (nl_open(&host) < 0) return fail("netlink: %s", strerror(errno));
  nsfd = open(s->netns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) {
    say("opening %s: %s", s->netns, strerror(errno));
    goto out;
  }
  int master = link_index(&host, s->bridge);
  if (master < 0) {
    say("bridge %s: %s", s->bridge, strerror(-master));
    goto out;
  }
  int e = create_veth(&host, s, nsfd, master);
  if (e < 0) {
    say("creating veth %s: %s", s->host, strerror(-e));
    goto out;
  }
  if ((e = no_ipv6_addresses(&host, 0, s->host)) < 0) {
    say("%s: IPv6 address generation: %s", s->host, strerror(-e));
    goto undo;
  }
  if (nl_open_in(&inner, s->netns) < 0) {
    say("netlink in %s: %s", s->netns, strerror(errno));
    goto undo;
  }
  int index = link_index(&inner, s->peer);
  if (index < 0) {
    say("%s in the container: %s", s->peer, strerror(-index));
    goto undo;
  }
  if ((e = no_ipv6_addresses(&inner, index, NULL)) < 0) {
    say("%s: IPv6 address generation: %s", s->peer, strerror(-e));
    goto undo;
  }
  if ((e = add_address(&inner, index, s->addr, s->prefix)) < 0) {
    say("adding the address to %s: %s", s->peer, strerror(-e));
    goto undo;
  }
  if ((e = set_up(&inner, index)) < 0) {
    say("bringing %s up: %s", s->peer, strerror(-e));
    goto undo;
  }
  if (s->gateway && (e = add_default_route(&inner, index, s->gateway)) < 0) {
    say("adding the default route: %s", strerror(-e));
    goto undo;
  }
  rc = 0;
  goto out;
undo:
  delete_link(&host, s->host);
out:
  if (nsfd >= 0) close(nsfd);
  nl_close(&inner);
  nl_close(&host);
  return rc;
}

int link_delete(const char *name, char *err, size_t errlen) {
  struct nl n = {0};
  if (nl_open(&n) < 0) return fail("netlink: %s", strerror(errno));
  int e = delete_link(&n, name);
  nl_close(&n);
  if (e < 0 && e != -ENODEV) return fail("deleting %s: %s", name, strerror(-e));
  return 0;
}
