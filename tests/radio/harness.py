"""A small QEMU VM with Debian's kernel and mac80211_hwsim: real 802.11 for tests.

The host kernel has no mac80211_hwsim, so radio tests boot Debian's own kernel (linux-image-amd64,
read from the installed package) in QEMU with an initramfs assembled at test time from installed
Debian packages: busybox-static, kmod, hostapd, wpasupplicant, iw, their shared libraries, and the
kernel modules for mac80211_hwsim and the crypto it loads on demand. The image is cached under
``$SIMSPOT_RADIO_CACHE``, ``$XDG_CACHE_HOME/simspot-radio`` or ``~/.cache/simspot-radio``, keyed by
the package versions and the guest scripts, so a package upgrade or a script edit rebuilds it.

A test describes a ``Scenario`` (radios, files, hostapd and wpa_supplicant runs, shell steps); the
harness appends it to the image as a second cpio archive, boots, and reads the results the guest
writes to its second serial port (``@R <step> <field> <base64>`` lines) into a ``VmResult``.

Several VMs can run at once: ``start`` boots one in the background and returns a future, so the
radio test modules' VMs overlap (tests/radio/conftest.py starts every selected module's
``radio_scenario()`` together); ``run`` boots one and waits, as before.

KVM is used when /dev/kvm actually runs this guest (probed once, the verdict cached); otherwise
TCG, which is what a machine without nested virtualisation gets. ``SIMSPOT_RADIO_ACCEL=tcg|kvm``
forces one.
"""

from __future__ import annotations

import base64
import concurrent.futures
import gzip
import hashlib
import lzma
import os
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

GUEST = Path(__file__).parent / "guest"
FORMAT = "3"  # bump when the image layout changes (it is part of the cache key)
QEMU = "qemu-system-x86_64"
PACKAGES = ("busybox-static", "kmod", "hostapd", "wpasupplicant", "iw", "libc6", "libssl3")
BINARIES = {
    "/bin/busybox": "/bin/busybox",
    "/usr/bin/kmod": "/usr/bin/kmod",
    "/usr/sbin/hostapd": "/usr/sbin/hostapd",
    "/usr/sbin/hostapd_cli": "/usr/sbin/hostapd_cli",
    "/usr/sbin/wpa_supplicant": "/usr/sbin/wpa_supplicant",
    "/usr/sbin/wpa_cli": "/usr/sbin/wpa_cli",
    "/usr/sbin/iw": "/usr/sbin/iw",
}
KMOD_LINKS = ("/sbin/modprobe", "/sbin/insmod", "/sbin/rmmod", "/sbin/lsmod", "/sbin/depmod")
# mac80211_hwsim and what mac80211 asks for at run time: CCMP (ccm), BIP (cmac), GCMP/GMAC (gcm).
MODULES = ("mac80211_hwsim", "ccm", "ctr", "cmac", "gcm", "ghash-generic", "aes_generic")
MODULE_INDEXES = (
    "modules.order",
    "modules.builtin",
    "modules.builtin.modinfo",
)


class RadioError(RuntimeError):
    """The harness could not build the image or run the VM (the message says what failed)."""


# --- the image -------------------------------------------------------------------------------


def _dpkg_version(package: str) -> str:
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 or not proc.stdout:
        raise RadioError(
            f"Debian package {package} is not installed (scripts/apt-packages.txt lists it)"
        )
    return proc.stdout


def kernel_release() -> str:
    """The release of the kernel linux-image-amd64 depends on, e.g. ``6.1.0-57-amd64``."""
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Depends}", "linux-image-amd64"],
        capture_output=True,
        text=True,
        check=False,
    )
    m = re.search(r"linux-image-(\d[^\s,(]*-amd64)", proc.stdout)
    if proc.returncode != 0 or m is None:
        raise RadioError("linux-image-amd64 is not installed (scripts/apt-packages.txt lists it)")
    return m.group(1)


def cache_dir() -> Path:
    if env := os.environ.get("SIMSPOT_RADIO_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "simspot-radio"


@dataclass(frozen=True)
class RadioImage:
    kernel: Path  # the uncompressed ELF vmlinux, booted directly through its PVH entry point
    initramfs: Path
    release: str
    key: str


def _ldd(binary: str) -> list[str]:
    proc = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False)
    if "not a dynamic executable" in proc.stdout + proc.stderr:
        return []
    libs = []
    for line in proc.stdout.splitlines():
        m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


def _module_files(release: str) -> list[str]:
    files: list[str] = []
    for name in MODULES:
        proc = subprocess.run(
            ["modprobe", "-S", release, "--show-depends", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RadioError(f"kernel module {name} not found for {release}: {proc.stderr}")
        for line in proc.stdout.splitlines():
            parts = line.split()
            if parts and parts[0] == "insmod" and parts[1] not in files:
                files.append(parts[1])
    return files


def _cache_key(release: str) -> str:
    h = hashlib.sha256()
    h.update(f"format={FORMAT}\nkernel={release}\n".encode())
    for pkg in (f"linux-image-{release}", *PACKAGES):
        h.update(f"{pkg}={_dpkg_version(pkg)}\n".encode())
    for script in sorted(GUEST.iterdir()):
        h.update(script.name.encode() + b"\0" + script.read_bytes())
    return h.hexdigest()[:20]


def build_image(cache: Path | None = None) -> RadioImage:
    """The kernel and the cached base initramfs (built now if the cache has none for this key)."""
    release = kernel_release()
    vmlinuz = Path(f"/boot/vmlinuz-{release}")
    if not os.access(vmlinuz, os.R_OK):
        raise RadioError(f"{vmlinuz} is missing or unreadable")
    key = _cache_key(release)
    cache = cache or cache_dir()
    target = cache / f"initramfs-{key}.cpio.gz"
    kernel = cache / f"vmlinux-{key}"
    if not target.exists() or not kernel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        for old in [*cache.glob("initramfs-*"), *cache.glob("vmlinux-*")]:  # one image is enough
            old.unlink(missing_ok=True)
        _write_atomic(kernel, _vmlinux(vmlinuz))
        packed = gzip.compress(_base_archive(release).data(), compresslevel=6, mtime=0)
        _write_atomic(target, packed + b"\0" * ((-len(packed)) % 4))  # next archive: 4-aligned
    return RadioImage(kernel=kernel, initramfs=target, release=release, key=key)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def _vmlinux(vmlinuz: Path) -> bytes:
    """The ELF kernel inside Debian's bzImage (XZ-compressed payload).

    Booting the ELF through its PVH entry skips the in-guest decompression, which under TCG
    takes longer than the rest of the boot.
    """
    data = vmlinuz.read_bytes()
    start = data.find(b"\xfd7zXZ\x00")
    if start < 0:
        raise RadioError(f"{vmlinuz}: no XZ payload found (is the kernel still XZ-compressed?)")
    dec = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    elf = dec.decompress(data[start:])
    if not elf.startswith(b"\x7fELF"):
        raise RadioError(f"{vmlinuz}: the XZ payload is not an ELF kernel")
    return elf


class Cpio:
    """A cpio archive in the kernel's "newc" format, built in memory."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._ino = 1000
        self._dirs: set[str] = set()

    def _entry(
        self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)
    ) -> None:
        self._ino += 1
        name_b = name.lstrip("/").encode() + b"\0"
        fields = [self._ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
        header = b"070701" + b"".join(f"{v:08x}".encode() for v in fields)
        self._parts.append(header + name_b + b"\0" * ((-(len(header) + len(name_b))) % 4))
        self._parts.append(data + b"\0" * ((-len(data)) % 4))

    def directory(self, path: str) -> None:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub and sub not in self._dirs:
                self._dirs.add(sub)
                self._entry(sub, stat.S_IFDIR | 0o755)

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFREG | mode, data)

    def symlink(self, path: str, target: str) -> None:
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def device(self, path: str, major: int, minor: int) -> None:
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def data(self) -> bytes:
        trailer = Cpio()
        trailer._ino = 0
        trailer._entry("TRAILER!!!", 0)
        return b"".join(self._parts + trailer._parts)


def _base_archive(release: str) -> Cpio:
    arc = Cpio()
    for d in ("dev", "proc", "sys", "tmp", "run", "etc", "sbin", "usr/sbin", "usr/bin", "bin"):
        arc.directory(d)
    arc.device("/dev/console", 5, 1)
    arc.device("/dev/null", 1, 3)
    arc.file("/init", (GUEST / "init.sh").read_bytes(), 0o755)
    arc.file("/radio/lib.sh", (GUEST / "lib.sh").read_bytes())
    arc.file("/etc/passwd", b"root:x:0:0:root:/:/bin/sh\n")
    arc.file("/etc/group", b"root:x:0:\n")
    libs: list[str] = []
    for src, dest in BINARIES.items():
        if not os.access(src, os.X_OK):
            raise RadioError(f"{src} is missing (install scripts/apt-packages.txt)")
        arc.file(dest, Path(src).read_bytes(), 0o755)
        libs += [lib for lib in _ldd(src) if lib not in libs]
    for link in KMOD_LINKS:
        arc.symlink(link, "/usr/bin/kmod")
    for lib in libs:
        # Stored under the name the binaries ask for (the dynamic loader's path included).
        arc.file(lib, Path(lib).read_bytes(), 0o755)
    moddir = f"/lib/modules/{release}"
    modules = _module_files(release)
    for ko in modules:
        arc.file(ko, Path(ko).read_bytes())
    for index in MODULE_INDEXES:
        p = Path(moddir) / index
        if p.exists():
            arc.file(str(p), p.read_bytes())
    # modules.dep & co. for exactly the modules in the image, made by the host's depmod.
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for ko in modules:
            dest = base / ko.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ko, dest)
        for index in MODULE_INDEXES:
            p = Path(moddir) / index
            if p.exists():
                shutil.copyfile(p, base / moddir.lstrip("/") / index)
        subprocess.run(["depmod", "-b", tmp, release], check=True, capture_output=True)
        for p in sorted((base / moddir.lstrip("/")).glob("modules.*")):
            if p.name not in MODULE_INDEXES:
                arc.file(f"{moddir}/{p.name}", p.read_bytes())
    return arc


# --- scenarios --------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,40}")


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"scenario name {value!r} must be a plain token")
    return value


def radio_mac(index: int) -> str:
    """The MAC address mac80211_hwsim gives radio ``wlan<index>``."""
    return f"02:00:00:00:{index:02x}:00"


def channel_mhz(channel: int) -> int:
    if channel == 14:
        return 2484
    return 2407 + 5 * channel if channel <= 13 else 5000 + 5 * channel


class Scenario:
    """What the VM does, as shell lines over the guest's helpers (tests/radio/guest/lib.sh).

    Radios are wlan0..wlan(N-1). A client's radio moves into its own network namespace when it
    first joins, so clients are separate hosts (own addresses, routes, ARP) as phones would be.
    """

    def __init__(self, radios: int) -> None:
        self.radios = radios
        self.files: dict[str, bytes] = {}
        self.lines: list[str] = [f"hwsim {int(radios)}"]

    def file(self, name: str, text: str | bytes) -> str:
        """Put a file into the guest; returns its path there."""
        self.files[_name(name)] = text.encode() if isinstance(text, str) else text
        return f"/scenario/files/{name}"

    def sh(self, line: str) -> None:
        """A raw shell line (the helpers of lib.sh are available)."""
        self.lines.append(line)

    def ap(
        self, name: str, iface: str, conf: str, addr: str | None = None, wait: bool = True
    ) -> None:
        """Start hostapd with ``conf`` (a path from ``file``); report ``ap.<name>`` status.

        With ``wait=False`` it starts in the background; ``wait_aps`` waits for several (their
        start-up, key derivation included, then overlaps)."""
        self.sh(_cmd("start_ap", _name(name), iface, conf, addr or ""))
        if wait:
            self.wait_aps(name)

    def wait_aps(self, *names: str) -> None:
        self.sh(_cmd("wait_aps", *(_name(n) for n in names)))

    def join(
        self,
        name: str,
        iface: str,
        conf: str,
        *,
        addr: str | None = None,
        timeout_s: int = 60,
        wait: bool = True,
        refused: bool = False,
    ) -> None:
        """Start wpa_supplicant for a client; with ``wait`` also wait for the outcome.

        A client expected to join is waited for until it connects (or ``timeout_s``); one
        expected to be ``refused`` until the first refusal (client or AP side), which is then
        its status. Either way a client that connects is reported as connected."""
        expect = "refused" if refused else "connected"
        self.sh(_cmd("start_join", _name(name), iface, conf, addr or "", expect))
        if wait:
            self.wait(name, timeout_s=timeout_s)

    def wait(self, *names: str, timeout_s: int = 60) -> None:
        """Wait for several started joins at once (they associate in parallel)."""
        self.sh(_cmd("wait_joins", str(int(timeout_s)), *(_name(n) for n in names)))

    def keep_trying(self, *names: str) -> None:
        """Let these clients retry after being refused (by default a refused client stops)."""
        self.sh('KEEP_TRYING="$KEEP_TRYING "' + shlex.quote(" ".join(_name(n) for n in names)))

    def leave(self, name: str) -> None:
        self.sh(_cmd("leave", _name(name)))

    def step(self, name: str, *argv: str, ns: str | None = None) -> None:
        """Run a command (in the namespace of client radio ``ns``); report rc and output."""
        prefix = ["in_ns", ns] if ns else []
        self.sh(_cmd("step", _name(name), *prefix, *argv))

    def ap_cli(self, name: str, iface: str, *args: str) -> None:
        """hostapd_cli against the AP on ``iface``; report rc and output as step ``name``."""
        self.step(name, "ap_cli", iface, *args)

    def script(self) -> str:
        return "\n".join(self.lines) + "\n"

    def archive(self) -> bytes:
        arc = Cpio()
        arc.file("/scenario/run.sh", self.script().encode())
        for name, data in self.files.items():
            arc.file(f"/scenario/files/{name}", data, 0o600)
        return arc.data()


def _cmd(*argv: str) -> str:
    return " ".join(shlex.quote(a) for a in argv)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinResult:
    status: str  # "connected" (client and AP agree), "failed" (refused) or "timeout"
    elapsed_s: float
    wpa_status: dict[str, str]
    mac: str | None
    log: str

    @property
    def connected(self) -> bool:
        return self.status == "connected"


@dataclass
class VmResult:
    steps: dict[str, dict[str, str]]
    console: str
    accel: str
    boot_s: float | None  # host wall time from QEMU start to the guest's init running
    wall_s: float

    def step(self, name: str) -> dict[str, str]:
        if name not in self.steps:
            raise KeyError(f"no result for step {name!r}; console tail:\n{self.console[-3000:]}")
        return self.steps[name]

    def log(self, name: str) -> str:
        return self.steps.get(f"log.{name}", {}).get("text", "")

    def ap_log(self, name: str) -> str:
        return self.log(f"ap-{name}")

    def ap_started(self, name: str) -> bool:
        return self.step(f"ap.{name}").get("status") == "ok"

    def join(self, name: str) -> JoinResult:
        fields = self.step(f"join.{name}")
        status = {}
        for line in fields.get("wpa_status", "").splitlines():
            k, sep, v = line.partition("=")
            if sep:
                status[k] = v
        return JoinResult(
            status=fields.get("status", "missing"),
            elapsed_s=int(fields.get("elapsed_ms", "0")) / 1000,
            wpa_status=status,
            mac=fields.get("mac") or None,
            log=self.log(f"join-{name}"),
        )

    def output(self, name: str) -> str:
        return self.step(name).get("output", "")

    def describe(self) -> str:
        """Everything, for assertion messages."""
        out = [f"accel={self.accel} boot_s={self.boot_s} wall_s={self.wall_s:.1f}"]
        for step, fields in self.steps.items():
            for k, v in fields.items():
                out.append(f"--- {step}.{k}:\n{v}")
        out.append("--- console tail:\n" + self.console[-4000:])
        return "\n".join(out)


def parse_results(text: str) -> dict[str, dict[str, str]]:
    """``@R <step> <field> <base64>`` lines; a field named ``<name>.gz`` is gzip'd (emit_gz)."""
    steps: dict[str, dict[str, str]] = {}
    for line in text.replace("\r", "").splitlines():
        parts = line.split(" ")
        if len(parts) == 4 and parts[0] == "@R":
            raw, field = base64.b64decode(parts[3]), parts[2]
            if field.endswith(".gz"):
                try:
                    raw, field = gzip.decompress(raw), field[:-3]
                except (OSError, EOFError):
                    pass  # cut short (the VM stopped mid-line): kept as it came, under .gz
            steps.setdefault(parts[1], {})[field] = raw.decode("utf-8", errors="replace")
    return steps


# --- running ----------------------------------------------------------------------------------

_accel_verdict: str | None = None


def _qemu_argv(
    image: RadioImage, initrd: Path, console: Path, results: Path, accel: str
) -> list[str]:
    if shutil.which(QEMU) is None:
        raise RadioError(f"{QEMU} is missing (qemu-system-x86 in scripts/apt-packages.txt)")
    cpu = ["-accel", "kvm", "-cpu", "host"] if accel == "kvm" else ["-accel", "tcg,thread=multi"]
    return [
        QEMU,
        *cpu,
        "-machine", "pc",
        "-m", "512",
        "-smp", "2",
        "-nodefaults",
        "-no-user-config",
        "-display", "none",
        "-no-reboot",
        "-kernel", str(image.kernel),
        "-initrd", str(initrd),
        "-append", "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4 mitigations=off",
        "-serial", f"file:{console}",
        "-serial", f"file:{results}",
    ]  # fmt: skip


def _boot(image: RadioImage, archive: bytes, accel: str, timeout_s: float, tmp: Path) -> VmResult:
    initrd = tmp / "initrd.img"
    with open(initrd, "wb") as out, open(image.initramfs, "rb") as base:
        shutil.copyfileobj(base, out)
        out.write(archive)
    console, results = tmp / "console.log", tmp / "results.log"
    console.touch()
    results.touch()
    argv = _qemu_argv(image, initrd, console, results, accel)
    start = time.monotonic()
    boot_s: float | None = None
    qemu_log = tmp / "qemu.log"
    with open(qemu_log, "wb") as qemu_out_file:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=qemu_out_file, stderr=subprocess.STDOUT
        )
    try:
        while proc.poll() is None:
            if boot_s is None and b"@R boot " in results.read_bytes():
                boot_s = time.monotonic() - start
            if time.monotonic() - start > timeout_s:
                proc.kill()
                proc.wait()
                partial = parse_results(results.read_text(errors="replace"))
                raise RadioError(
                    f"the VM did not finish within {timeout_s:.0f} s; results so far:\n"
                    + "\n".join(f"{step}: {fields}" for step, fields in partial.items())[-6000:]
                    + "\nconsole tail:\n"
                    + console.read_text(errors="replace")[-4000:]
                )
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    qemu_out = qemu_log.read_text(errors="replace")
    text = results.read_text(errors="replace")
    if boot_s is None and "@R boot " in text:
        boot_s = time.monotonic() - start
    steps = parse_results(text)
    console_text = console.read_text(errors="replace")
    if "@END" not in text:
        raise RadioError(
            f"the VM stopped early (QEMU status {proc.returncode}, accel {accel}): {qemu_out}\n"
            f"console tail:\n{console_text[-4000:]}"
        )
    return VmResult(steps, console_text, accel, boot_s, time.monotonic() - start)


def accel() -> str:
    """``kvm`` if /dev/kvm boots this guest, else ``tcg`` (probed once, the verdict cached)."""
    global _accel_verdict
    if forced := os.environ.get("SIMSPOT_RADIO_ACCEL"):
        return forced
    if _accel_verdict is not None:
        return _accel_verdict
    verdict = "tcg"
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        qemu_version = subprocess.run([QEMU, "--version"], capture_output=True, text=True).stdout
        marker = hashlib.sha256((os.uname().release + qemu_version).encode()).hexdigest()[:12]
        note = cache_dir() / f"accel-{marker}"
        if note.exists():
            verdict = note.read_text().strip()
        else:
            image = build_image()
            with tempfile.TemporaryDirectory(prefix="simspot-radio-") as tmp:
                try:
                    _boot(image, Scenario(1).archive(), "kvm", 30, Path(tmp))
                    verdict = "kvm"
                except RadioError:
                    verdict = "tcg"
            note.write_text(verdict + "\n")
    _accel_verdict = verdict
    return verdict


_POOL: concurrent.futures.ThreadPoolExecutor | None = None


def start(
    image: RadioImage, scenario: Scenario, timeout_s: float = 900
) -> concurrent.futures.Future[VmResult]:
    """Boot the VM with ``scenario`` in the background; the future's ``result()`` is ``run``'s.

    VMs started together run side by side, as many at once as ``parallel()`` allows; the rest
    wait their turn (in the order started)."""
    global _POOL
    accel()  # probe here, once, not in several threads at the same time
    if _POOL is None:
        _POOL = concurrent.futures.ThreadPoolExecutor(parallel(), thread_name_prefix="radio-vm")
    return _POOL.submit(run, image, scenario, timeout_s)


def parallel() -> int:
    """How many VMs run at once: two (one per two cores on bigger hosts, at most four), or one
    when the host is very busy (load average at least 3 per core when the first VM starts).

    Measured on a 2-core machine: two side by side took 71 s where one after the other took
    116 s (load about 4, 2 per core); at a load of 8 to 11 two guests starved each other's
    timers and a client's authentication timed out (mac80211's three tries are milliseconds
    apart), so a very busy host runs them one after the other. ``SIMSPOT_RADIO_PARALLEL=N`` overrides it."""
    if forced := os.environ.get("SIMSPOT_RADIO_PARALLEL"):
        return max(1, int(forced))
    cores = os.cpu_count() or 1
    if os.getloadavg()[0] >= 3 * cores:
        return 1
    return min(4, max(2, cores // 2))


def run(image: RadioImage, scenario: Scenario, timeout_s: float = 900) -> VmResult:
    """Boot the VM with ``scenario`` and return what the guest reported.

    The deadline is generous on purpose: under TCG on a loaded 2-core machine one association
    can take 15 s; how fast it should be is benchmarks/radio.py's business, not a test's."""
    with tempfile.TemporaryDirectory(prefix="simspot-radio-") as tmp:
        return _boot(image, scenario.archive(), accel(), timeout_s, Path(tmp))


__all__ = [
    "JoinResult",
    "RadioError",
    "RadioImage",
    "Scenario",
    "VmResult",
    "build_image",
    "channel_mhz",
    "parallel",
    "radio_mac",
    "run",
    "start",
]
