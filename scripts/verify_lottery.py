#!/usr/bin/env python3
"""摇号核验工具 / Standalone verifier of a housing lottery (protocol housing-lottery/v1).

Recomputes a published draw from its files and says whether it matches. Standard library only,
and a separate copy of the algorithm on purpose: it imports nothing from the console, so anyone
can read it, run it and compare (Python 3.8 or later, any directory, ``python -I`` works).

    python3 verify_lottery.py lottery-2026-01.zip        # the zip downloaded from the plan page
    python3 verify_lottery.py lottery-2026-01/           # or the folder it unzips to
    python3 verify_lottery.py --commitment commitment.txt --pool pool.txt --secret secret.txt \\
        --entropy entropy.txt --ranking ranking.txt       # one pool, files named one by one
    python3 verify_lottery.py --json lottery-2026-01.zip # a machine-readable summary

Exit status: 0 when everything matches (结果：一致 / MATCH), 1 when something differs
(结果：不一致 / MISMATCH, with what differs), 2 when the input is missing or unreadable.

The protocol (docs/lottery.md in the console's sources):
  C    = SHA-256(S), S being 32 secret bytes revealed at the draw;
  pool = the registration numbers, each NFC-normalised and stripped, empty ones dropped,
         unique, sorted by code point, joined with "\\n" (no trailing newline), UTF-8;
  H    = SHA-256(pool);
  seed = SHA-256 of the fields "housing-lottery/v1", C, H, S, E (UTF-8), each preceded by its
         length as 4 bytes big-endian;
  the ranking is a Fisher-Yates shuffle (from the last index down) of the sorted list, each
  index j in [0, i] read from the byte stream HMAC-SHA256(seed, counter as 8 bytes big-endian),
  counter 0, 1, 2 ..., as the fewest whole bytes holding i's bit length, big-endian, masked to
  that bit length, values above i rejected and read again.
"""
import argparse
import hashlib
import hmac
import json
import os
import re
import sys
import unicodedata
import zipfile

PROTOCOL = "housing-lottery/v1"
KNOWN_PROTOCOLS = (PROTOCOL,)
HEX64 = re.compile(r"[0-9a-fA-F]{64}\Z")
# Not allowed inside a registration number (the console refuses them too).
FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
PLAIN_NAME = re.compile(r"[^/\\]+\Z")
MAX_FILE = 512 * 1024 * 1024


class InputError(Exception):
    """Missing or unreadable input: exit status 2."""

    def __init__(self, zh, en):
        super().__init__(en)
        self.zh, self.en = zh, en


# ----------------------------------------------------------------------------- the algorithm


def sha256(data):
    return hashlib.sha256(data).digest()


def canonical(numbers):
    """NFC, strip, drop empty, unique, sort by code point. Returns (list, bad numbers)."""
    out, bad = set(), []
    for raw in numbers:
        number = unicodedata.normalize("NFC", raw).strip()
        if not number:
            continue
        if FORBIDDEN.search(number):
            bad.append(number)
        out.add(number)
    return sorted(out), bad


def seed_of(commitment, list_hash, secret, entropy):
    h = hashlib.sha256()
    for field in (PROTOCOL.encode("ascii"), commitment, list_hash, secret, entropy):
        h.update(len(field).to_bytes(4, "big"))
        h.update(field)
    return h.digest()


def byte_stream(seed):
    counter = 0
    while True:
        yield from hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1


def ranking_of(sorted_pool, seed):
    """The Durstenfeld shuffle, written plainly (one byte at a time from the stream)."""
    a = list(sorted_pool)
    stream = byte_stream(seed)
    for i in range(len(a) - 1, 0, -1):
        bits = i.bit_length()
        width = (bits + 7) // 8
        while True:
            value = 0
            for _ in range(width):
                value = (value << 8) | next(stream)
            j = value & ((1 << bits) - 1)
            if j <= i:
                break
        a[i], a[j] = a[j], a[i]
    return a


# ----------------------------------------------------------------------------- reading input


class Folder:
    def __init__(self, path):
        self.path = path
        self.label = path

    def has(self, name):
        return os.path.isfile(os.path.join(self.path, name))

    def read(self, name):
        full = os.path.join(self.path, name)
        try:
            if os.path.getsize(full) > MAX_FILE:
                raise InputError(f"文件过大：{name}", f"file too large: {name}")
            with open(full, "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            raise InputError(f"缺少文件：{name}", f"missing file: {name}") from None
        except OSError as exc:
            raise InputError(f"无法读取文件 {name}：{exc.strerror}", f"cannot read {name}: {exc.strerror}") from None


class Zip:
    def __init__(self, path):
        self.label = path
        try:
            self.archive = zipfile.ZipFile(path)
            names = self.archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputError(f"无法读取 zip 文件：{path}", f"not a readable zip file: {path} ({exc})") from None
        manifests = [n for n in names if n == "manifest.json" or n.endswith("/manifest.json")]
        if "manifest.json" in manifests:
            self.prefix = ""
        elif len(manifests) == 1:  # the files zipped again inside a folder
            self.prefix = manifests[0][: -len("manifest.json")]
        else:
            raise InputError("zip 中没有 manifest.json", "no manifest.json in the zip")

    def has(self, name):
        try:
            self.archive.getinfo(self.prefix + name)
            return True
        except KeyError:
            return False

    def read(self, name):
        try:
            info = self.archive.getinfo(self.prefix + name)
        except KeyError:
            raise InputError(f"缺少文件：{name}", f"missing file: {name}") from None
        if info.file_size > MAX_FILE:
            raise InputError(f"文件过大：{name}", f"file too large: {name}")
        try:
            return self.archive.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as exc:
            raise InputError(f"无法读取 zip 中的 {name}", f"cannot read {name} from the zip ({exc})") from None


def open_source(path):
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "manifest.json")):
            raise InputError(f"目录中没有 manifest.json：{path}", f"no manifest.json in {path}")
        return Folder(path)
    if os.path.isfile(path):
        if os.path.basename(path) == "manifest.json":
            return Folder(os.path.dirname(path) or ".")
        return Zip(path)
    raise InputError(f"找不到：{path}", f"not found: {path}")


def lines_of(data):
    """The lines of a published list (no trailing newline; an empty file is an empty list)."""
    text = data.decode("utf-8")  # strict: raises UnicodeDecodeError
    return text.split("\n") if text else []


def parse_hex32(data):
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    return bytes.fromhex(text) if HEX64.match(text) else None


# ----------------------------------------------------------------------------- the report


class Report:
    def __init__(self, quiet):
        self.quiet = quiet
        self.checks = []
        self.groups = []
        self.failed = False

    def _add(self, status, zh, en):
        self.checks.append({"status": status, "zh": zh, "en": en})
        if not self.quiet:
            label = {"ok": "通过：", "fail": "不符：", "info": "说明："}[status]
            en_label = {"ok": "OK: ", "fail": "FAIL: ", "info": "NOTE: "}[status]
            print(f"{label}{zh} / {en_label}{en}")

    def ok(self, zh, en):
        self._add("ok", zh, en)

    def fail(self, zh, en):
        self.failed = True
        self._add("fail", zh, en)

    def info(self, zh, en):
        self._add("info", zh, en)

    def check(self, good, zh, en, zh_bad, en_bad):
        if good:
            self.ok(zh, en)
        else:
            self.fail(zh_bad, en_bad)
        return good


def first_difference(published, recomputed):
    for k, (x, y) in enumerate(zip(published, recomputed), start=1):
        if x != y:
            return (f"第 {k} 位：文件为 {x}，重算为 {y}", f"rank {k}: the file has {x}, recomputed {y}")
    if len(published) != len(recomputed):
        return (f"文件有 {len(published)} 个编号，重算有 {len(recomputed)} 个",
                f"the file has {len(published)} numbers, recomputed {len(recomputed)}")
    return ("", "")


def check_pool(report, label, data, expected_sha=None, expected_size=None):
    """Checks one pool file; returns (canonical list, its hash) or (None, None) when unusable."""
    try:
        numbers = lines_of(data)
    except UnicodeDecodeError:
        report.fail(f"{label}名单不是 UTF-8 文本", f"{label}pool file is not UTF-8 text")
        return None, None
    pool, bad = canonical(numbers)
    if bad:
        report.fail(f"{label}名单含控制字符或换行：{bad[0]!r}",
                    f"{label}pool has a number with a control character or line break: {bad[0]!r}")
    canonical_bytes = "\n".join(pool).encode("utf-8")
    report.check(canonical_bytes == data,
                 f"{label}名单为规范形式（{len(pool)} 个编号）", f"{label}pool file is canonical ({len(pool)} numbers)",
                 f"{label}名单不是规范形式（须 NFC、去空白、去重、按码点排序、以换行连接、末尾无换行）",
                 f"{label}pool file is not canonical (NFC, stripped, unique, sorted by code point, "
                 "joined with newlines, no trailing newline)")
    file_hash = sha256(data)
    if expected_sha is not None:
        report.check(file_hash.hex() == expected_sha.lower(),
                     f"{label}名单 SHA-256 与清单一致 {file_hash.hex()}",
                     f"{label}pool SHA-256 equals the manifest's {file_hash.hex()}",
                     f"{label}名单 SHA-256 为 {file_hash.hex()}，清单为 {expected_sha}",
                     f"{label}pool SHA-256 is {file_hash.hex()}, the manifest says {expected_sha}")
    else:
        report.info(f"{label}名单 SHA-256 为 {file_hash.hex()}", f"{label}pool SHA-256 is {file_hash.hex()}")
    if expected_size is not None:
        report.check(expected_size == len(pool),
                     f"{label}人数与清单一致（{len(pool)}）", f"{label}pool size equals the manifest's ({len(pool)})",
                     f"{label}人数为 {len(pool)}，清单为 {expected_size}",
                     f"{label}pool size is {len(pool)}, the manifest says {expected_size}")
    return pool, sha256(canonical_bytes)


def check_draw(report, label, pool, list_hash, commitment, secret, entropy, ranking_data, expected_seed=None):
    seed = seed_of(commitment, list_hash, secret, entropy)
    if expected_seed is not None:
        report.check(seed.hex() == str(expected_seed).lower(),
                     f"{label}种子重算一致 {seed.hex()}", f"{label}seed recomputed equals the manifest's {seed.hex()}",
                     f"{label}种子重算为 {seed.hex()}，清单为 {expected_seed}",
                     f"{label}seed recomputes to {seed.hex()}, the manifest says {expected_seed}")
    else:
        report.info(f"{label}种子为 {seed.hex()}", f"{label}seed is {seed.hex()}")
    recomputed = ranking_of(pool, seed)
    try:
        published = lines_of(ranking_data)
    except UnicodeDecodeError:
        report.fail(f"{label}排序文件不是 UTF-8 文本", f"{label}ranking file is not UTF-8 text")
        return seed.hex(), False
    same = published == recomputed
    if same:
        report.ok(f"{label}排序重算一致（{len(recomputed)} 位）", f"{label}ranking recomputed matches ({len(recomputed)} ranks)")
    else:
        zh, en = first_difference(published, recomputed)
        report.fail(f"{label}排序与重算不一致，{zh}", f"{label}ranking differs from the recomputed one, {en}")
    return seed.hex(), same


def check_secret_and_entropy(report, commitment, secret_data, entropy):
    secret = parse_hex32(secret_data)
    if secret is None:
        report.fail("秘密 S 不是 64 位十六进制数", "secret S is not 64 hexadecimal digits")
    else:
        report.check(hmac.compare_digest(sha256(secret), commitment),
                     "秘密 S 的 SHA-256 等于承诺 C", "SHA-256(S) equals the commitment C",
                     f"秘密 S 的 SHA-256 为 {sha256(secret).hex()}，不等于承诺 C",
                     f"SHA-256(S) is {sha256(secret).hex()}, not the commitment C")
    entropy_ok = True
    if not entropy:
        entropy_ok = report.check(False, "", "", "公开随机数 E 为空", "public entropy E is empty")
    else:
        try:
            text = entropy.decode("utf-8")
            report.info(f"公开随机数 E 为 {text!r}", f"public entropy E is {text!r}")
            if text != text.strip():
                report.info("E 首尾有空白（如编辑器加的换行）；发布的 E 按原样使用",
                            "E has surrounding whitespace (an editor's newline?); the published E is used as is")
        except UnicodeDecodeError:
            entropy_ok = report.check(False, "", "", "公开随机数 E 不是 UTF-8 文本", "public entropy E is not UTF-8 text")
    return secret, entropy_ok


# ----------------------------------------------------------------------------- the two modes


def verify_bundle(report, source):
    try:
        manifest = json.loads(source.read("manifest.json").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InputError("manifest.json 不是有效的 JSON", "manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("groups"), list):
        raise InputError("manifest.json 缺少 groups", "manifest.json has no groups list")
    report.summary.update(plan=manifest.get("plan"), protocol=manifest.get("protocol"), state=manifest.get("state"))
    report.info(f"计划 {manifest.get('plan')}，状态 {manifest.get('state')}，来源 {source.label}",
                f"plan {manifest.get('plan')}, state {manifest.get('state')}, from {source.label}")

    protocol = manifest.get("protocol")
    if protocol not in KNOWN_PROTOCOLS:
        report.fail(f"未知的协议版本 {protocol!r}", f"unknown protocol version {protocol!r}")
        raise InputError("本工具无法核对此版本", f"this verifier knows only {', '.join(KNOWN_PROTOCOLS)}")
    report.ok(f"协议版本 {protocol}", f"protocol version {protocol}")

    commitment_hex = manifest.get("commitment")
    if not isinstance(commitment_hex, str) or not HEX64.match(commitment_hex):
        raise InputError("清单中的承诺 C 不是 64 位十六进制数", "the manifest's commitment is not 64 hex digits")
    commitment = bytes.fromhex(commitment_hex)
    if source.has("commitment.txt"):
        report.check(parse_hex32(source.read("commitment.txt")) == commitment,
                     f"commitment.txt 与清单的承诺 C 一致 {commitment_hex.lower()}",
                     f"commitment.txt equals the manifest's commitment {commitment_hex.lower()}",
                     "commitment.txt 与清单的承诺 C 不一致", "commitment.txt differs from the manifest's commitment")

    secret_file, entropy_file = manifest.get("secret_file"), manifest.get("entropy_file")
    drawn = manifest.get("state") == "drawn" or secret_file is not None or entropy_file is not None
    secret = entropy = None
    if drawn:
        if not secret_file or not entropy_file:
            raise InputError("清单显示已摇号，但缺少 secret_file 或 entropy_file",
                             "the manifest says drawn but names no secret_file or entropy_file")
        secret_data = source.read(plain_name(secret_file))
        entropy = source.read(plain_name(entropy_file))
        secret, entropy_ok = check_secret_and_entropy(report, commitment, secret_data, entropy)
        if not entropy_ok:
            entropy = None

    groups = manifest["groups"]
    for group in groups:
        if not isinstance(group, dict) or not isinstance(group.get("order"), int):
            raise InputError("manifest.json 的分组格式有误", "a group in manifest.json is malformed")
    for group in sorted(groups, key=lambda g: g["order"]):
        label = f"[{group['order']} {group.get('code')} {group.get('name')}] "
        entry = {"code": group.get("code"), "order": group["order"], "pool_size": None, "seed": None,
                 "ranking_matches": None}
        report.groups.append(entry)
        pool_file = group.get("pool_file")
        if pool_file is None:
            if drawn:
                raise InputError(f"{label}已摇号但没有名单文件", f"{label}drawn but no pool file")
            report.info(f"{label}名单尚未冻结", f"{label}pool not frozen yet")
            continue
        pool, list_hash = check_pool(report, label, source.read(plain_name(pool_file)),
                                     expected_sha=text_or_none(group.get("pool_sha256")),
                                     expected_size=group.get("pool_size"))
        if pool is not None:
            entry["pool_size"] = len(pool)
        if not drawn:
            continue
        ranking_file = group.get("ranking_file")
        if not ranking_file:
            raise InputError(f"{label}已摇号但没有排序文件", f"{label}drawn but no ranking file")
        ranking_data = source.read(plain_name(ranking_file))
        if pool is None or secret is None or entropy is None:
            report.fail(f"{label}无法重算排序（见上）", f"{label}cannot recompute the ranking (see above)")
            continue
        entry["seed"], entry["ranking_matches"] = check_draw(
            report, label, pool, list_hash, commitment, secret, entropy, ranking_data,
            expected_seed=text_or_none(group.get("seed")))
    if not drawn:
        report.info("尚未摇号：只核对了承诺与已冻结的名单", "not drawn yet: only the commitment and the frozen pools were checked")


def verify_files(report, args):
    commitment = parse_hex32(read_file(args.commitment))
    if commitment is None:
        raise InputError(f"承诺文件不是 64 位十六进制数：{args.commitment}",
                         f"the commitment file is not 64 hex digits: {args.commitment}")
    pool_data = read_file(args.pool)
    secret_data = read_file(args.secret)
    entropy = read_file(args.entropy)
    ranking_data = read_file(args.ranking)
    report.summary.update(protocol=PROTOCOL, state="drawn")
    report.info(f"协议版本 {PROTOCOL}（逐个文件核对）", f"protocol version {PROTOCOL} (files named one by one)")
    secret, entropy_ok = check_secret_and_entropy(report, commitment, secret_data, entropy)
    pool, list_hash = check_pool(report, "", pool_data)
    entry = {"code": None, "order": None, "pool_size": len(pool) if pool is not None else None, "seed": None,
             "ranking_matches": None}
    report.groups.append(entry)
    if pool is None or secret is None or not entropy_ok:
        report.fail("无法重算排序（见上）", "cannot recompute the ranking (see above)")
        return
    entry["seed"], entry["ranking_matches"] = check_draw(report, "", pool, list_hash, commitment, secret, entropy,
                                                         ranking_data)


def read_file(path):
    try:
        if os.path.getsize(path) > MAX_FILE:
            raise InputError(f"文件过大：{path}", f"file too large: {path}")
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"找不到文件：{path}", f"file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"无法读取文件 {path}：{exc.strerror}", f"cannot read {path}: {exc.strerror}") from None


def plain_name(name):
    if not isinstance(name, str) or not PLAIN_NAME.match(name) or name in (".", ".."):
        raise InputError(f"清单中的文件名无效：{name!r}", f"invalid file name in the manifest: {name!r}")
    return name


def text_or_none(value):
    return value if isinstance(value, str) else None


# ----------------------------------------------------------------------------- main


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="verify_lottery.py",
        description="摇号核验 / Verify a housing lottery (housing-lottery/v1) from its published files.")
    parser.add_argument("bundle", nargs="?", help="下载的 zip 或其解压目录 / the downloaded zip or its folder")
    parser.add_argument("--json", action="store_true", help="输出 JSON 摘要 / print a JSON summary")
    for name, zh in (("commitment", "承诺 C"), ("pool", "名单"), ("secret", "秘密 S"), ("entropy", "公开随机数 E"),
                     ("ranking", "排序")):
        parser.add_argument(f"--{name}", metavar="FILE", help=f"{zh} 文件 / the {name} file (one pool)")
    return parser, parser.parse_args(argv)


def main(argv=None):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    parser, args = parse_args(argv)
    explicit = [args.commitment, args.pool, args.secret, args.entropy, args.ranking]
    report = Report(quiet=args.json)
    report.summary = {"plan": None, "protocol": None, "state": None}
    error = None
    try:
        if args.bundle and any(explicit):
            raise InputError("请给出一个 zip/目录，或逐个给出文件，不要同时给出",
                             "give either a zip or folder, or the files one by one, not both")
        if args.bundle:
            verify_bundle(report, open_source(args.bundle))
        elif all(explicit):
            verify_files(report, args)
        elif any(explicit):
            raise InputError("逐个核对时须给出 --commitment --pool --secret --entropy --ranking",
                             "files one by one need all of --commitment --pool --secret --entropy --ranking")
        else:
            raise InputError("请给出下载的 zip 或其解压目录（--help 查看用法）",
                             "give the downloaded zip or its folder (see --help)")
    except InputError as exc:
        error = exc
    except Exception as exc:  # anything unexpected still ends with a message, not a traceback
        error = InputError(f"无法核对：{exc}", f"cannot verify: {type(exc).__name__}: {exc}")

    if error is not None:
        code, result = 2, "ERROR"
        final = f"结果：无法核对，{error.zh} / CANNOT VERIFY: {error.en}"
    elif report.failed:
        code, result = 1, "MISMATCH"
        final = "结果：不一致 / MISMATCH"
    else:
        code, result = 0, "MATCH"
        final = "结果：一致 / MATCH"
    if args.json:
        summary = dict(report.summary, result=result, exit_code=code, checks=report.checks, groups=report.groups,
                       error=None if error is None else {"zh": error.zh, "en": error.en})
        print(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        if code == 1:
            for check in report.checks:
                if check["status"] == "fail":
                    print(f"  - {check['zh']} / {check['en']}")
        print(final, file=sys.stderr if code == 2 else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
