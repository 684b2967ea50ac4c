#!/usr/bin/env python3
"""End-to-end tests of `assay lock` and `assay runs`: exit codes, messages,
nothing recorded for an invalid protocol, and clear errors (exit 2) for a
missing run, a damaged registry and a registry from a newer assay.

Usage: registry_cli_test.py ASSAY_BINARY SOURCE_DIR
"""
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import unittest

ASSAY = sys.argv[1] if len(sys.argv) > 1 else "build/src/assay"
SOURCE = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else ".")
PROTOCOL = os.path.join(SOURCE, "examples", "triage_protocol.toml")


def run(*arguments, env=None):
    return subprocess.run([ASSAY, *arguments], capture_output=True, text=True, check=False,
                          env=env)


def sha256_of(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


class RegistryTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.dir = self.scratch.name
        self.registry = os.path.join(self.dir, "data", "registry.sqlite")

    def tearDown(self):
        self.scratch.cleanup()

    def assay(self, *arguments):
        return run(*arguments, "--registry", self.registry)

    def record_run(self, locked_at):
        """Adds a run the way `assay run` records one (the registry's documented tables)."""
        with sqlite3.connect(self.registry) as connection:
            cursor = connection.execute(
                "INSERT INTO runs (recorded_at, model_name, model_version, model_sha256, "
                "protocol_path, protocol_sha256, locked_at, purpose, overall_verdict, out_dir, "
                "evidence_sha256, assay_version, command_line) "
                "VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                ("2026-12-03T21:05:00Z", "ChestTriage", "2.1.0", "/p/triage_protocol.toml",
                 "ab" * 32, locked_at, "local_acceptance", "sufficient", "/p/out", "0.1.0",
                 "assay run /p/triage_protocol.toml --out /p/out"))
            run_id = cursor.lastrowid
            connection.executemany(
                "INSERT INTO run_endpoints (run_id, position, endpoint, verdict) VALUES (?, ?, ?, ?)",
                [(run_id, 0, "sensitivity_at_lock", "supported"),
                 (run_id, 1, "specificity_at_lock", "inconclusive")])
        connection.close()
        return run_id

    def test_lock_records_the_hash_once(self):
        first = self.assay("lock", PROTOCOL)
        self.assertEqual(first.returncode, 0, first.stderr)
        digest = sha256_of(PROTOCOL)
        self.assertIn(f"locked {PROTOCOL} (sha256 {digest}) at ", first.stdout)
        self.assertTrue(os.path.exists(self.registry))
        locked_at = first.stdout.strip().rsplit(" ", 1)[-1]

        second = self.assay("lock", PROTOCOL)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn(f"already locked since {locked_at}", second.stdout)
        with sqlite3.connect(self.registry) as connection:
            rows = connection.execute("SELECT protocol_sha256, protocol_path FROM locks").fetchall()
        connection.close()
        self.assertEqual(rows, [(digest, os.path.abspath(PROTOCOL))])

    def test_invalid_protocol_is_not_locked(self):
        with open(PROTOCOL) as handle:
            text = handle.read()
        bad = os.path.join(self.dir, "bad.toml")
        with open(bad, "w") as handle:
            handle.write(text + "\nunknown_key = 1\n")
        result = self.assay("lock", bad)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("unknown_key", result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertFalse(os.path.exists(self.registry), "nothing may be recorded")

    def test_runs_list_on_an_empty_or_missing_registry(self):
        missing = self.assay("runs", "list")
        self.assertEqual(missing.returncode, 0, missing.stderr)
        self.assertIn(f"no runs in {self.registry}", missing.stdout)
        self.assertFalse(os.path.exists(self.registry), "listing must not create a registry")

        self.assertEqual(self.assay("lock", PROTOCOL).returncode, 0)
        empty = self.assay("runs", "list")
        self.assertEqual(empty.returncode, 0, empty.stderr)
        self.assertIn("no runs in", empty.stdout)
        as_json = self.assay("runs", "list", "--json")
        self.assertEqual(as_json.returncode, 0, as_json.stderr)
        self.assertEqual(json.loads(as_json.stdout), [])

    def test_default_registry_comes_from_the_environment(self):
        environment = dict(os.environ, ASSAY_REGISTRY=self.registry)
        result = run("runs", "list", env=environment)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"no runs in {self.registry}", result.stdout)

    def test_runs_list_and_show_a_recorded_run(self):
        self.assertEqual(self.assay("lock", PROTOCOL).returncode, 0)
        run_id = self.record_run("2026-12-01T08:30:00Z")

        table = self.assay("runs", "list")
        self.assertEqual(table.returncode, 0, table.stderr)
        header, row = table.stdout.splitlines()
        self.assertEqual(header.split(), ["id", "time", "model", "version", "purpose", "verdict",
                                          "protocol", "locked"])
        self.assertEqual(row.split(), [str(run_id), "2026-12-03T21:05:00Z", "ChestTriage", "2.1.0",
                                       "local_acceptance", "sufficient", "ab" * 6, "yes"])

        listed = json.loads(self.assay("runs", "list", "--json").stdout)
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["locked_at"], "2026-12-01T08:30:00Z")
        self.assertIsNone(listed[0]["model_sha256"])

        shown = self.assay("runs", "show", str(run_id))
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("since 2026-12-01T08:30:00Z", shown.stdout)
        self.assertRegex(shown.stdout, r"specificity_at_lock\s+inconclusive")
        document = json.loads(self.assay("runs", "show", str(run_id), "--json").stdout)
        self.assertEqual(document["endpoints"],
                         [{"endpoint": "sensitivity_at_lock", "verdict": "supported"},
                          {"endpoint": "specificity_at_lock", "verdict": "inconclusive"}])
        self.assertEqual(document, listed[0])

    def test_unknown_run_is_bad_input(self):
        self.assertEqual(self.assay("lock", PROTOCOL).returncode, 0)
        result = self.assay("runs", "show", "99")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(f"no run 99 in {self.registry}", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_damaged_registry_is_a_clear_error(self):
        os.makedirs(os.path.dirname(self.registry))
        generator = random.Random(7)
        with open(self.registry, "wb") as handle:
            handle.write(bytes(generator.randrange(256) for _ in range(8192)))
        for arguments in (["lock", PROTOCOL], ["runs", "list"], ["runs", "show", "1"]):
            result = self.assay(*arguments)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(f"{self.registry} is not an assay registry or is damaged", result.stderr)
            self.assertNotIn("internal error", result.stderr)

    def test_registry_from_a_newer_assay_is_a_clear_error(self):
        self.assertEqual(self.assay("lock", PROTOCOL).returncode, 0)
        with sqlite3.connect(self.registry) as connection:
            connection.execute("PRAGMA user_version = 99")
        connection.close()
        result = self.assay("runs", "list")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("was written by a newer assay (schema 99;", result.stderr)

    def run_study(self, protocol=PROTOCOL, name="bundle"):
        out = os.path.join(self.dir, name)
        result = self.assay("run", protocol, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(out, "evidence.json")) as handle:
            return result, out, json.load(handle)

    def test_a_run_of_a_locked_protocol_says_since_when_and_is_recorded(self):
        locked = self.assay("lock", PROTOCOL)
        self.assertEqual(locked.returncode, 0, locked.stderr)
        locked_at = locked.stdout.strip().rsplit(" ", 1)[-1]

        result, out, document = self.run_study()
        self.assertIn(f"Protocol: byte-identical to the one locked at {locked_at}", result.stdout)
        self.assertEqual(document["protocol"]["locked_at"], locked_at)
        self.assertTrue(all(not endpoint["exploratory"] for endpoint in document["endpoints"]))

        runs = json.loads(self.assay("runs", "list", "--json").stdout)
        self.assertEqual(len(runs), 1)
        recorded = runs[0]
        self.assertEqual(recorded["locked_at"], locked_at)
        self.assertEqual(recorded["protocol_sha256"], sha256_of(PROTOCOL))
        self.assertEqual(recorded["evidence_sha256"], sha256_of(os.path.join(out, "evidence.json")))
        self.assertEqual(recorded["out_dir"], out)
        self.assertEqual(recorded["overall_verdict"], document["overall"]["verdict"])
        self.assertEqual([(e["endpoint"], e["verdict"]) for e in recorded["endpoints"]],
                         [(e["id"], e["verdict"]) for e in document["endpoints"]])

    def test_a_protocol_changed_after_its_lock_runs_exploratory(self):
        with open(PROTOCOL) as handle:
            text = handle.read()
        protocol = os.path.join(self.dir, "triage_protocol.toml")
        with open(protocol, "w") as handle:
            handle.write(text.replace("cases = \"", "cases = \"" +
                                      os.path.join(SOURCE, "examples") + "/", 1))
        self.assertEqual(self.assay("lock", protocol).returncode, 0)
        with open(protocol, "a") as handle:
            handle.write("# edited after the lock\n")

        result, _, document = self.run_study(protocol)
        self.assertIn("not locked before this run; every claim is exploratory", result.stdout)
        self.assertIsNone(document["protocol"]["locked_at"])
        self.assertTrue(all(endpoint["exploratory"] for endpoint in document["endpoints"]))
        runs = json.loads(self.assay("runs", "list", "--json").stdout)
        self.assertEqual([run["locked"] for run in runs], [False])

    def test_verifications_are_recorded(self):
        _, out, _ = self.run_study()
        self.assertEqual(self.assay("verify", out).returncode, 0)
        os.remove(os.path.join(out, "cases.csv"))
        self.assertEqual(self.assay("verify", out).returncode, 1)
        with sqlite3.connect(self.registry) as connection:
            rows = connection.execute(
                "SELECT bundle_dir, rerun, passed, differences FROM verifications "
                "ORDER BY id").fetchall()
        connection.close()
        self.assertEqual(rows, [(out, 0, 1, 0), (out, 0, 0, 1)])

    def test_a_run_with_a_damaged_registry_writes_nothing(self):
        os.makedirs(os.path.dirname(self.registry))
        with open(self.registry, "wb") as handle:
            handle.write(b"not a database" * 512)
        out = os.path.join(self.dir, "bundle")
        result = self.assay("run", PROTOCOL, "--out", out)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("is not an assay registry or is damaged", result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
