"""The lottery protocol housing-lottery/v1, its published files and the standalone verifier.

Pure: no app, no database. The verifier runs as a subprocess (``python -I`` from another
directory), exactly as a member of the public would run it on the downloaded files.
"""
import ast
import hashlib
import hmac
import io
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from app.allocation.lottery import protocol as p

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "scripts" / "verify_lottery.py"
PROTOCOL_FILE = ROOT / "app" / "allocation" / "lottery" / "protocol.py"

S = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
E = "305871"
NUMBERS = [f"BZ2025-{i:04d}" for i in range(1, 11)]
C_HEX = "4773d12e2371bb935b9a0f5439b4a1c3ad3f2414b86980f8418d1cfabdfadfef"
H_HEX = "a0a83ea56cd2d71d34abd1db0e226c74d9b0b12abbfc6d6f474c2d36d5185e68"
RANKING = [f"BZ2025-{n}" for n in ("0005", "0006", "0002", "0007", "0009", "0008", "0003", "0010", "0004", "0001")]


def reference_ranking(sorted_pool, seed):
    """The brief's words, slowly: one HMAC block at a time, one byte at a time."""
    def stream():
        counter = 0
        while True:
            for byte in hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha256).digest():
                yield byte
            counter += 1

    a, bytes_ = list(sorted_pool), stream()
    for i in range(len(a) - 1, 0, -1):
        bits = i.bit_length()
        while True:
            raw = bytes(next(bytes_) for _ in range((bits + 7) // 8))
            j = int.from_bytes(raw, "big") & ((1 << bits) - 1)
            if j <= i:
                break
        a[i], a[j] = a[j], a[i]
    return a


# ----------------------------------------------------------------------------- the test vector


def test_vector():
    assert p.commitment(S).hex() == C_HEX
    assert p.pool_hash(NUMBERS).hex() == H_HEX
    drawn = p.draw(S, E, reversed(NUMBERS))
    assert drawn.commitment.hex() == C_HEX
    assert drawn.list_hash.hex() == H_HEX
    assert drawn.pool == NUMBERS
    assert drawn.ranking == RANKING
    assert drawn.seed == p.derive_seed(drawn.commitment, drawn.list_hash, S, E)
    assert p.rank(NUMBERS, drawn.seed) == RANKING
    assert p.check_secret(S, drawn.commitment)


def test_seed_is_sha256_of_length_prefixed_fields():
    c, h = bytes.fromhex(C_HEX), bytes.fromhex(H_HEX)
    expected = hashlib.sha256(
        b"\x00\x00\x00\x12housing-lottery/v1" + b"\x00\x00\x00\x20" + c + b"\x00\x00\x00\x20" + h
        + b"\x00\x00\x00\x20" + S + b"\x00\x00\x00\x06305871").digest()
    assert p.derive_seed(c, h, S, E) == expected
    assert p.VERSION == "housing-lottery/v1"


def test_length_prefixing_separates_field_boundaries():
    assert p._length_prefixed([b"ab", b"c"]) != p._length_prefixed([b"a", b"bc"])
    assert p._length_prefixed([b"ab", b""]) != p._length_prefixed([b"a", b"b"])
    c, h = bytes.fromhex(C_HEX), bytes.fromhex(H_HEX)
    seeds = {p.derive_seed(c, h, S, e) for e in ("305871", "30587", "3058710", "305871 ", "３０５８７１")}
    assert len(seeds) == 5
    # Each fixed field matters too.
    other = bytes(32)
    assert len({p.derive_seed(c, h, S, E), p.derive_seed(other, h, S, E), p.derive_seed(c, other, S, E),
                p.derive_seed(c, h, other, E)}) == 4


def test_ranking_agrees_with_the_plain_reference_on_multibyte_sizes():
    for n in (2, 3, 255, 256, 257, 300, 1000, 70000):
        pool = p.canonical_pool(f"N{i:06d}" for i in range(n))
        seed = hashlib.sha256(str(n).encode()).digest()
        assert p.rank(pool, seed) == reference_ranking(pool, seed), n


# ----------------------------------------------------------------------------- canonical pool


def test_canonical_pool_nfc_whitespace_duplicates_empty_order():
    decomposed, composed = "BZ\u0041\u030a", "BZ\u00c5"
    assert p.canonical_pool([decomposed]) == [composed]
    assert p.canonical_pool([decomposed, composed]) == [composed]
    assert p.pool_hash([decomposed]) == p.pool_hash([composed])
    messy = ["  B-2\t", "\u3000A-1\n", "", "   ", "B-2", "A-1", "a-0", "Z"]
    assert p.canonical_pool(messy) == ["A-1", "B-2", "Z", "a-0"]
    # code point order, not locale or numeric order
    assert p.canonical_pool(["BZ-10", "BZ-9", "bz-1", "BZ-1", "ＢＺ-1"]) == ["BZ-1", "BZ-10", "BZ-9", "bz-1", "ＢＺ-1"]
    assert p.pool_bytes(["b", "a", "ä"]) == "a\nb\nä".encode("utf-8")
    assert p.pool_bytes([]) == b""
    assert p.pool_hash([]) == hashlib.sha256(b"").digest()
    assert p.pool_bytes(["x"]) == b"x"  # no trailing newline


def test_canonical_pool_refusals():
    with pytest.raises(p.ProtocolError, match="not a single string"):
        p.canonical_pool("BZ2025-0001")
    with pytest.raises(p.ProtocolError, match="not a string"):
        p.canonical_pool(["BZ2025-0001", 7])
    with pytest.raises(p.ProtocolError, match="line break"):
        p.canonical_pool(["BZ2025\n0001"])
    with pytest.raises(p.ProtocolError, match="line break"):
        p.canonical_pool(["BZ2025\u20280001"])
    assert issubclass(p.ProtocolError, ValueError)


def test_rank_refuses_a_pool_that_is_not_canonical():
    seed = bytes(32)
    for bad in (["b", "a"], ["a", "a"], [" a"], ["a", ""], ["BZ\u0041\u030a"]):
        with pytest.raises(p.ProtocolError, match="not canonical"):
            p.rank(bad, seed)
    with pytest.raises(p.ProtocolError, match="32 bytes"):
        p.rank(["a"], b"short")


# ----------------------------------------------------------------------------- shuffle properties


@pytest.mark.parametrize("n", [5, 100, 257, 100000])
def test_ranking_is_a_permutation(n):
    pool = p.canonical_pool(f"BZ{i:06d}" for i in range(n))
    seed = hashlib.sha256(f"seed-{n}".encode()).digest()
    ranking = p.rank(pool, seed)
    assert len(ranking) == n
    assert sorted(ranking) == pool
    assert p.rank(pool, seed) == ranking  # deterministic
    if n > 5:
        assert ranking != pool


def test_positions_are_roughly_uniform_over_random_seeds():
    pool = ["A", "B", "C", "D", "E"]
    rng = random.Random(20260115)
    counts = {x: Counter() for x in pool}
    draws = 2000
    for _ in range(draws):
        ranking = p.rank(pool, rng.randbytes(32))
        for position, x in enumerate(ranking):
            counts[x][position] += 1
    # expected 2000 / 5 = 400 per cell, sd ≈ 17.9: the bounds are more than 5 sd wide
    for x in pool:
        for position in range(len(pool)):
            assert 300 < counts[x][position] < 500, (x, position, counts[x])


def test_empty_pool_and_single_entry():
    empty = p.draw(S, E, [])
    assert empty.pool == [] and empty.ranking == []
    assert empty.list_hash == hashlib.sha256(b"").digest()
    assert p.draw(S, E, ["  ", ""]).ranking == []
    one = p.draw(S, E, [" BZ2025-0001 "])
    assert one.pool == ["BZ2025-0001"] and one.ranking == ["BZ2025-0001"]
    assert p.rank([], bytes(32)) == []


def test_rank_does_not_change_its_input_and_is_fast():
    pool = p.canonical_pool(f"BZ2025-{i:06d}" for i in range(100000))
    copy = list(pool)
    started = time.perf_counter()
    drawn = p.draw(S, E, pool)
    elapsed = time.perf_counter() - started
    assert pool == copy
    assert elapsed < 1.0, f"the draw of 100,000 numbers took {elapsed:.2f} s"
    assert drawn.ranking[:3] != pool[:3]


# ----------------------------------------------------------------------------- secrets, entropy


def test_secret_commitment_and_entropy_rules():
    secret = p.new_secret()
    assert isinstance(secret, bytes) and len(secret) == 32 and secret != p.new_secret()
    assert p.check_secret(secret, p.commitment(secret))
    assert not p.check_secret(S, p.commitment(secret))
    assert not p.check_secret(S[:31], p.commitment(S))
    with pytest.raises(p.ProtocolError, match="must be bytes"):
        p.check_secret(S.hex(), p.commitment(S))
    with pytest.raises(p.ProtocolError, match="32 bytes"):
        p.commitment(b"short")
    with pytest.raises(p.ProtocolError, match="must not be empty"):
        p.draw(S, "", NUMBERS)
    with pytest.raises(p.ProtocolError, match="must be text"):
        p.draw(S, 305871, NUMBERS)
    with pytest.raises(p.ProtocolError, match="not valid Unicode"):
        p.draw(S, "\ud800", NUMBERS)
    # E is used exactly as given: surrounding spaces are a different E.
    assert p.draw(S, " 305871", NUMBERS).seed != p.draw(S, E, NUMBERS).seed


def test_protocol_module_imports_nothing_but_the_standard_library():
    """Loaded alone by path with Flask made unimportable: no app, no Flask."""
    code = ("import sys, importlib.util\n"
            "sys.modules['flask'] = None\n"
            f"spec = importlib.util.spec_from_file_location('lottery_protocol', {str(PROTOCOL_FILE)!r})\n"
            "m = sys.modules['lottery_protocol'] = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(m)\n"
            f"print(m.commitment(bytes.fromhex({S.hex()!r})).hex())\n"
            "print(sorted(n for n, mod in sys.modules.items() if mod is not None\n"
            "             and n.split('.')[0] in ('app', 'flask', 'sqlalchemy')))\n")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == [C_HEX, "[]"]
    assert _third_party_imports(PROTOCOL_FILE) == []


# ----------------------------------------------------------------------------- the bundle


def two_groups(drawn=True):
    priority = [f"YX2025-{i:03d}" for i in range(1, 8)]
    general = NUMBERS
    groups = [
        {"code": "general", "name": "普通家庭", "order": 2, "pool": general,
         "ranking": RANKING if drawn else None},
        {"code": "priority", "name": "优先家庭", "order": 1, "pool": priority,
         "ranking": p.draw(S, E, priority).ranking if drawn else None},
    ]
    return groups


def drawn_bundle():
    return p.bundle("2026-01", two_groups(), p.commitment(S), S, E, drawn_at="2026-03-01T10:00:00")


def test_bundle_files_and_manifest():
    files = drawn_bundle()
    assert set(files) == {"manifest.json", "commitment.txt", "secret.txt", "entropy.txt",
                          "pool-1-priority.txt", "pool-2-general.txt",
                          "ranking-1-priority.txt", "ranking-2-general.txt"}
    manifest = json.loads(files["manifest.json"].decode("utf-8"))
    assert "普通家庭" in files["manifest.json"].decode("utf-8")  # ensure_ascii=False
    assert files["manifest.json"].decode("utf-8") == json.dumps(manifest, ensure_ascii=False, sort_keys=True,
                                                                indent=2) + "\n"
    assert manifest["protocol"] == "housing-lottery/v1"
    assert manifest["plan"] == "2026-01"
    assert manifest["commitment"] == C_HEX
    assert manifest["state"] == "drawn"
    assert manifest["drawn_at"] == "2026-03-01T10:00:00"
    assert manifest["secret_file"] == "secret.txt" and manifest["entropy_file"] == "entropy.txt"
    assert "verify_lottery.py" in manifest["verify"] and "lottery-2026-01.zip" in manifest["verify"]
    assert [g["code"] for g in manifest["groups"]] == ["priority", "general"]  # the published order
    general = manifest["groups"][1]
    assert general == {"code": "general", "name": "普通家庭", "order": 2, "pool_file": "pool-2-general.txt",
                       "pool_sha256": H_HEX, "pool_size": 10, "ranking_file": "ranking-2-general.txt",
                       "seed": p.draw(S, E, NUMBERS).seed.hex()}
    for group in manifest["groups"]:
        assert hashlib.sha256(files[group["pool_file"]]).hexdigest() == group["pool_sha256"]
    assert files["pool-2-general.txt"] == "\n".join(NUMBERS).encode()
    assert files["ranking-2-general.txt"] == "\n".join(RANKING).encode()
    assert files["commitment.txt"] == (C_HEX + "\n").encode()
    assert files["secret.txt"] == (S.hex() + "\n").encode()
    assert files["entropy.txt"] == b"305871"


def test_bundle_states_before_the_draw():
    committed = p.bundle("2026-01", [dict(g, pool=None, ranking=None) for g in two_groups()], p.commitment(S))
    manifest = json.loads(committed["manifest.json"])
    assert manifest["state"] == "committed"
    assert set(committed) == {"manifest.json", "commitment.txt"}
    assert manifest["secret_file"] is None and manifest["entropy_file"] is None and manifest["drawn_at"] is None
    assert manifest["groups"][0]["pool_file"] is None and manifest["groups"][0]["seed"] is None

    frozen = p.bundle("2026-01", two_groups(drawn=False), p.commitment(S).hex())
    manifest = json.loads(frozen["manifest.json"])
    assert manifest["state"] == "frozen"
    assert set(frozen) == {"manifest.json", "commitment.txt", "pool-1-priority.txt", "pool-2-general.txt"}
    assert all(g["seed"] is None and g["ranking_file"] is None for g in manifest["groups"])


def test_bundle_refusals():
    c = p.commitment(S)
    with pytest.raises(p.ProtocolError, match="does not open"):
        p.bundle("2026-01", two_groups(), c, bytes(32), E)
    with pytest.raises(p.ProtocolError, match="published together"):
        p.bundle("2026-01", two_groups(), c, S)
    wrong = two_groups()
    wrong[0]["ranking"] = list(reversed(RANKING))
    with pytest.raises(p.ProtocolError, match="not the one the protocol gives"):
        p.bundle("2026-01", wrong, c, S, E)
    with pytest.raises(p.ProtocolError, match="not a permutation"):
        p.bundle("2026-01", [dict(wrong[0], ranking=RANKING[:-1])], c, S, E, verify=False)
    with pytest.raises(p.ProtocolError, match="no ranking"):
        p.bundle("2026-01", two_groups(drawn=False), c, S, E)
    with pytest.raises(p.ProtocolError, match="before the draw"):
        p.bundle("2026-01", two_groups(), c)
    with pytest.raises(p.ProtocolError, match="every pool is frozen"):
        p.bundle("2026-01", [dict(g, pool=None, ranking=None) for g in two_groups()], c, S, E)
    with pytest.raises(p.ProtocolError, match="group code"):
        p.bundle("2026-01", [dict(two_groups()[0], code="../x")], c)
    with pytest.raises(p.ProtocolError, match="appears twice"):
        p.bundle("2026-01", [two_groups()[0], dict(two_groups()[1], order=2)], c)
    with pytest.raises(p.ProtocolError, match="drawn_at"):
        p.bundle("2026-01", two_groups(drawn=False), c, drawn_at="2026-03-01T10:00:00")


def test_zip_is_deterministic_and_holds_the_files():
    files = drawn_bundle()
    first = p.zip_bundle(files)
    time.sleep(1.1)
    assert p.zip_bundle(dict(reversed(list(files.items())))) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == sorted(files)
        assert {n: archive.read(n) for n in archive.namelist()} == files
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert p.bundle_filename("2026-01") == "lottery-2026-01.zip"
    assert p.bundle_filename("京/2026 01") == "lottery-2026_01.zip"


# ----------------------------------------------------------------------------- the verifier


def run_verifier(*args, cwd=None):
    return subprocess.run([sys.executable, "-I", str(VERIFIER), *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=120, cwd=cwd or os.path.dirname(str(ROOT)))


def write_bundle(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def set_manifest(folder, **changes):
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    for key, value in changes.items():
        if key.startswith("group_"):
            manifest["groups"][1][key[len("group_"):]] = value
        else:
            manifest[key] = value
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")


def last_line(result):
    return result.stdout.strip().splitlines()[-1]


def test_verifier_matches_on_the_folder_and_the_zip(tmp_path):
    files = drawn_bundle()
    folder = write_bundle(tmp_path / "bundle", files)
    result = run_verifier(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert last_line(result) == "结果：一致 / MATCH"
    assert "通过：秘密 S 的 SHA-256 等于承诺 C / OK: SHA-256(S) equals the commitment C" in result.stdout
    assert "排序重算一致（10 位）" in result.stdout and result.stderr == ""
    # every check line: Chinese first, English after " / "
    assert all(" / " in line for line in result.stdout.strip().splitlines())

    archive = tmp_path / "lottery-2026-01.zip"
    archive.write_bytes(p.zip_bundle(files))
    result = run_verifier(archive)
    assert result.returncode == 0 and last_line(result) == "结果：一致 / MATCH", result.stdout + result.stderr

    # a zip of the folder (files under a directory) works too
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as z:
        for name, data in files.items():
            z.writestr(f"lottery-2026-01/{name}", data)
    assert run_verifier(nested).returncode == 0


def test_verifier_json_summary(tmp_path):
    folder = write_bundle(tmp_path / "bundle", drawn_bundle())
    result = run_verifier("--json", folder)
    assert result.returncode == 0
    summary = json.loads(result.stdout)
    assert summary["result"] == "MATCH" and summary["exit_code"] == 0 and summary["error"] is None
    assert summary["protocol"] == "housing-lottery/v1" and summary["plan"] == "2026-01"
    assert [g["code"] for g in summary["groups"]] == ["priority", "general"]
    assert all(g["ranking_matches"] for g in summary["groups"])
    assert summary["groups"][1]["seed"] == p.draw(S, E, NUMBERS).seed.hex()

    (folder / "entropy.txt").write_bytes(b"305872")
    summary = json.loads(run_verifier("--json", folder).stdout)
    assert summary["result"] == "MISMATCH" and summary["exit_code"] == 1
    assert any(c["status"] == "fail" for c in summary["checks"])


def test_verifier_on_a_large_pool_agrees_with_the_protocol(tmp_path):
    pool = [f"BZ2025-{i:06d}" for i in range(100000)]
    drawn = p.draw(S, E, pool)
    files = p.bundle("big", [{"code": "g", "name": "普通家庭", "order": 1, "pool": pool, "ranking": drawn.ranking}],
                     drawn.commitment, S, E)
    result = run_verifier(write_bundle(tmp_path / "big", files))
    assert result.returncode == 0 and last_line(result) == "结果：一致 / MATCH", result.stdout[-2000:]


def test_verifier_before_the_draw(tmp_path):
    frozen = p.bundle("2026-01", two_groups(drawn=False), p.commitment(S))
    result = run_verifier(write_bundle(tmp_path / "frozen", frozen))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "尚未摇号" in result.stdout and last_line(result) == "结果：一致 / MATCH"


@pytest.mark.parametrize("tamper, expected", [
    ("pool_line", "名单 SHA-256 为"),
    ("pool_line_and_hash", "种子重算为"),
    ("ranking_swap", "第 2 位：文件为"),
    ("secret", "不等于承诺 C"),
    ("entropy", "排序与重算不一致"),
    ("entropy_newline", "首尾有空白"),
    ("pool_not_canonical", "名单不是规范形式"),
    ("pool_trailing_newline", "名单不是规范形式"),
    ("commitment", "commitment.txt 与清单的承诺 C 不一致"),
    ("seed", "种子重算为"),
])
def test_verifier_detects_tampering(tmp_path, tamper, expected):
    folder = write_bundle(tmp_path / "bundle", drawn_bundle())
    pool_file, ranking_file = folder / "pool-2-general.txt", folder / "ranking-2-general.txt"
    if tamper == "pool_line":
        pool_file.write_bytes(pool_file.read_bytes().replace(b"BZ2025-0003", b"BZ2025-0033"))
    elif tamper == "pool_line_and_hash":
        data = pool_file.read_bytes().replace(b"BZ2025-0003", b"BZ2025-0033")
        pool_file.write_bytes(data)
        set_manifest(folder, group_pool_sha256=hashlib.sha256(data).hexdigest())
    elif tamper == "ranking_swap":
        ranking = ranking_file.read_text("utf-8").split("\n")
        ranking[1], ranking[2] = ranking[2], ranking[1]
        ranking_file.write_text("\n".join(ranking), "utf-8")
    elif tamper == "secret":
        (folder / "secret.txt").write_text(bytes(32).hex() + "\n")
    elif tamper == "entropy":
        (folder / "entropy.txt").write_bytes(b"305872")
    elif tamper == "entropy_newline":
        (folder / "entropy.txt").write_bytes(b"305871\n")
    elif tamper == "pool_not_canonical":
        data = "\n".join(reversed(NUMBERS)).encode()
        pool_file.write_bytes(data)
        set_manifest(folder, group_pool_sha256=hashlib.sha256(data).hexdigest())
    elif tamper == "pool_trailing_newline":
        data = pool_file.read_bytes() + b"\n"
        pool_file.write_bytes(data)
        set_manifest(folder, group_pool_sha256=hashlib.sha256(data).hexdigest())
    elif tamper == "commitment":
        (folder / "commitment.txt").write_text("00" * 32 + "\n")
    elif tamper == "seed":
        set_manifest(folder, group_seed="11" * 32)
    result = run_verifier(folder)
    assert result.returncode == 1, result.stdout + result.stderr
    assert last_line(result) == "结果：不一致 / MISMATCH"
    assert expected in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_verifier_another_secret_with_its_own_commitment_is_caught(tmp_path):
    """Replacing S and C together in the files still fails: the seed and ranking change."""
    folder = write_bundle(tmp_path / "bundle", drawn_bundle())
    other = bytes(range(32))
    (folder / "secret.txt").write_text(other.hex() + "\n")
    (folder / "commitment.txt").write_text(p.commitment(other).hex() + "\n")
    set_manifest(folder, commitment=p.commitment(other).hex())
    result = run_verifier(folder)
    assert result.returncode == 1 and "排序与重算不一致" in result.stdout


def test_verifier_unreadable_input_exits_2_without_traceback(tmp_path):
    folder = write_bundle(tmp_path / "bundle", drawn_bundle())
    (folder / "ranking-1-priority.txt").unlink()
    cases = [folder, tmp_path / "nowhere.zip"]
    (tmp_path / "not.zip").write_bytes(b"this is not a zip")
    cases.append(tmp_path / "not.zip")
    bad_json = write_bundle(tmp_path / "badjson", {"manifest.json": b"{not json"})
    cases.append(bad_json)
    unknown = write_bundle(tmp_path / "unknown", drawn_bundle())
    set_manifest(unknown, protocol="housing-lottery/v9")
    cases.append(unknown)
    escape = write_bundle(tmp_path / "escape", drawn_bundle())
    set_manifest(escape, secret_file="../secret.txt")
    cases.append(escape)
    for case in cases:
        result = run_verifier(case)
        assert result.returncode == 2, (case, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        assert "结果：无法核对" in result.stderr and "CANNOT VERIFY" in result.stderr
    missing = run_verifier(folder)
    assert "缺少文件：ranking-1-priority.txt / CANNOT VERIFY: missing file: ranking-1-priority.txt" in missing.stderr
    assert run_verifier().returncode == 2
    assert json.loads(run_verifier("--json", folder).stdout)["result"] == "ERROR"


def test_verifier_with_explicit_files(tmp_path):
    folder = write_bundle(tmp_path / "bundle", drawn_bundle())
    args = ["--commitment", folder / "commitment.txt", "--pool", folder / "pool-2-general.txt",
            "--secret", folder / "secret.txt", "--entropy", folder / "entropy.txt",
            "--ranking", folder / "ranking-2-general.txt"]
    result = run_verifier(*args)
    assert result.returncode == 0 and last_line(result) == "结果：一致 / MATCH", result.stdout + result.stderr
    assert H_HEX in result.stdout
    wrong = list(args)
    wrong[wrong.index("--ranking") + 1] = folder / "ranking-1-priority.txt"
    assert run_verifier(*wrong).returncode == 1
    assert run_verifier(*args[:-2]).returncode == 2  # --ranking missing
    assert run_verifier(folder, *args).returncode == 2  # both ways at once


def test_verifier_uses_only_the_standard_library():
    assert _third_party_imports(VERIFIER) == []
    source = VERIFIER.read_text("utf-8")
    assert "from app" not in source and "import app" not in source


def _third_party_imports(path):
    tree = ast.parse(Path(path).read_text("utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import in {path}"
            names.append(node.module)
    assert names, "no imports found"
    return [n for n in names if n.split(".")[0] not in sys.stdlib_module_names]
