"""Many cells at once: claims on a shared results folder, corrupt cell files, SIGTERM, local worker
processes (--jobs) and Ray (a local instance and a two-node cluster on 127.0.0.1)."""
import io
import json
import multiprocessing
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from zoo.bench.execution import claims, store, workers
from zoo.bench.execution.claims import Claims
from zoo.bench.design.matrix import MatrixSpec, build_trials
from zoo.bench.reporting.reporters import Progress, TablesReporter
from zoo.bench.execution.runner import run_matrix

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "zoo"]
RAY = str(Path(sys.executable).parent / "ray")  # the `ray` command of this environment
TINY = {"adding": dict(T=6, n_train=64, n_val=32, n_test=32)}
RECIPE = {"*": dict(epochs=2, batch_size=32, patience=1)}
TINY_SETS = ["--preset", "smoke", "--tasks", "adding", "--set", "adding.T=6", "--set", "adding.n_train=64",
             "--set", "adding.n_val=32", "--set", "adding.n_test=32", "--set", "model.units=4"]


def tiny_cells(models, task_params=TINY, recipe=RECIPE):
    return build_trials(MatrixSpec(models, task_params, [0], {"units": 4}, {}, recipe))


def run(cells, out, executor=None, stream=None):
    return run_matrix(cells, out, reporters=[TablesReporter(out), Progress(out, stream or io.StringIO())],
                      executor=executor)


def env_with_repo(**extra) -> dict:
    return {**os.environ, **extra, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def cli(*args, timeout=300):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env=env_with_repo())


def write_claim(out: Path, cell_id: str, host: str, pid: int, age: float = 0.0) -> Path:
    path = out / "claims" / f"{cell_id}{claims.SUFFIX}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": host, "pid": pid, "since": "2026-01-01 00:00:00", "token": "theirs"}))
    then = time.time() - age
    os.utime(path, (then, then))
    return path


# --- claims -----------------------------------------------------------------------------------------------

def test_a_live_claim_is_respected_and_a_dead_runs_claim_taken_over(tmp_path):
    ours = Claims(tmp_path)
    assert ours.claim("a") is None and ours.claim("a") is not None  # exclusive, even for its holder
    ours.release("a")
    assert not ours.path("a").exists() and ours.claim("a") is None

    write_claim(tmp_path, "far", "elsewhere", 1)  # another machine, heartbeat fresh
    assert ours.claim("far") == "host elsewhere, pid 1, since 2026-01-01 00:00:00"
    write_claim(tmp_path, "far", "elsewhere", 1, age=store.STALE_SECONDS + 60)  # its heartbeat stopped
    assert ours.claim("far") is None
    assert json.loads(ours.path("far").read_text())["token"] == ours.token

    sleeper = subprocess.Popen(["sleep", "60"])  # a live process on this host
    try:
        write_claim(tmp_path, "near", store.HOST, sleeper.pid)
        assert "pid" in ours.claim("near")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert ours.claim("near") is None  # its process is gone: no need to wait for the heartbeat to go stale


def test_claims_heartbeat_while_held_and_are_released_at_the_end(tmp_path):
    with Claims(tmp_path, beat_seconds=0.05) as held:
        assert held.claim("a") is None
        os.utime(held.path("a"), (1.0, 1.0))
        deadline = time.time() + 10
        while held.path("a").stat().st_mtime < 2 and time.time() < deadline:
            time.sleep(0.05)
        assert held.path("a").stat().st_mtime > time.time() - 60
    assert not (tmp_path / "claims").exists()


def test_cells_claimed_by_a_live_run_are_left_to_it_and_reported(tmp_path):
    cells = tiny_cells(["rnn", "gru"])
    claim = write_claim(tmp_path, cells[1].cell_id, "elsewhere", 4242)
    stream = io.StringIO()
    assert run(cells, tmp_path, stream=stream) == 0
    assert [r.model for r in store.load_cells(tmp_path)] == ["rnn"]
    lines = stream.getvalue().splitlines()
    assert re.fullmatch(r"\[2/2 \| .*\] gru on adding\(T=6\) seed 0: skipped, in progress in another run "
                        r"\(host elsewhere, pid 4242, since 2026-01-01 00:00:00\)", lines[-2]), lines
    assert lines[-1].startswith(f"1 cell(s) left to another run on {tmp_path}")
    assert claim.exists()  # not ours to remove
    write_claim(tmp_path, cells[1].cell_id, "elsewhere", 4242, age=store.STALE_SECONDS + 1)
    assert run(cells, tmp_path) == 0
    assert sorted(r.model for r in store.load_cells(tmp_path)) == ["gru", "rnn"]
    assert not claim.exists()


@pytest.mark.slow
def test_two_runs_on_one_folder_train_each_cell_once(tmp_path):
    """Two `rnn-zoo run` on the same --out, started together, both trained every cell."""
    out = tmp_path / "run"
    args = [*TINY_SETS, "--models", "rnn,gru,lstm,cifg_lstm,mingru,birnn", "--out", str(out)]
    procs = [subprocess.Popen([*CLI, "run", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              cwd=REPO, env=env_with_repo()) for _ in range(2)]
    errs = []
    try:
        for proc in procs:
            errs.append(proc.communicate(timeout=400)[1])
    finally:
        for proc in procs:
            proc.kill()
    assert [p.returncode for p in procs] == [0, 0], errs
    trained = [re.findall(r"\] (\w+) on adding\(T=6\) seed 0 \.\.\.$", err, re.MULTILINE) for err in errs]
    assert sorted(trained[0] + trained[1]) == sorted(["rnn", "gru", "lstm", "cifg_lstm", "mingru", "birnn"]), errs
    assert {r.status for r in store.load_cells(out)} == {"completed"} and len(store.load_cells(out)) == 6
    assert all("skipped" in err for err, mine in zip(errs, trained) if len(mine) < 6)


# --- corrupt files, SIGTERM -------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("damage", [lambda text: text[:40], lambda text: "", lambda text: '{"cell_id": "x"}\n'])
def test_a_corrupt_cell_file_is_moved_aside_reported_and_its_cell_rerun(tmp_path, capfd, damage):
    """A truncated cell file made the resumed run crash with JSONDecodeError and exit 1."""
    cells = tiny_cells(["rnn", "gru"])
    assert run(cells, tmp_path) == 0
    path = store.cells_dir(tmp_path) / f"{cells[1].cell_id}.json"
    broken = damage(path.read_text())
    path.write_text(broken)
    capfd.readouterr()
    assert run(cells, tmp_path) == 0
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"rnn-zoo: corrupt cell file {path} moved to {path.name}.corrupt ("), err
    assert err[0].endswith("; its cell runs again")
    assert (path.parent / f"{path.name}.corrupt").read_text() == broken  # kept, not deleted
    assert json.loads(path.read_text())["status"] == "completed"
    assert [r.model for r in store.load_cells(tmp_path)] == ["gru", "rnn"]


def test_a_temporary_file_of_a_live_writer_is_kept(tmp_path):
    """Runs sharing a folder deleted each other's half-written files at start-up."""
    folder = store.cells_dir(tmp_path)
    folder.mkdir()
    live = folder / f"a.json~{os.getpid()}@{store.HOST}.tmp"
    dead = folder / f"b.json~999999999@{store.HOST}.tmp"
    old_style = folder / "c.json.tmp"
    for path in (live, dead, old_style):
        path.write_text("{")
    assert store.remove_stale_temporaries(tmp_path) == 2
    assert live.exists() and not dead.exists() and not old_style.exists()


def wait_for_training(out: Path, proc, seconds: float = 300) -> None:
    """Until a cell has been claimed and trained for a while (the claim appears when it starts)."""
    deadline = time.time() + seconds
    while not list((out / "claims").glob("*.claim")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(10)  # into its training (worker start-up and data included)


# Far longer than any test waits (an rnn on JAX with a warm compilation cache trained 50 such epochs in ~10 s),
# so the first cell is still training when the signal comes.
LONG_SETS = ["--set", "adding.n_train=20000", "--set", "recipe.epochs=1000", "--set", "recipe.patience=1000"]


@pytest.mark.slow
def test_sigterm_marks_the_running_cell_interrupted_writes_tables_and_exits_143(tmp_path):
    """kill -TERM (a scheduler's preemption) exited 143 with the running cell unrecorded."""
    out = tmp_path / "run"
    args = ["run", "--preset", "smoke", "--tasks", "adding", "--models", "rnn,lstm", *LONG_SETS, "--out", str(out)]
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env=env_with_repo())
    try:
        wait_for_training(out, proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 143, err[-2000:]
    assert [r.status for r in store.load_cells(out)] == ["interrupted"]
    assert store.load_cells(out)[0].error == "SIGTERM"
    assert "interrupted" in (out / "results.md").read_text() and "resume" in err
    assert not (out / "claims").exists()


@pytest.mark.slow
def test_ctrl_c_with_jobs_2_marks_both_running_cells_interrupted(tmp_path):
    """Ctrl-C in a terminal signals the whole process group: the workers must leave it to the runner."""
    out = tmp_path / "run"
    args = ["run", "--preset", "smoke", "--tasks", "adding", "--models", "rnn,lstm,gru", *LONG_SETS, "--jobs", "2",
            "--out", str(out)]
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env=env_with_repo(), start_new_session=True)
    try:
        wait_for_training(out, proc)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert sorted((r.model, r.status) for r in store.load_cells(out)) == [
        ("lstm", "interrupted"), ("rnn", "interrupted")]
    assert "Traceback" not in err, err[-2000:]
    time.sleep(1)
    left = os.popen(f"ps -s {proc.pid} -o stat=,pid=,args=").read().splitlines()
    assert not [line for line in left if not line.startswith("Z")], left  # zombies are dead, awaiting init


# --- local worker processes -------------------------------------------------------------------------------

def kill_workers(times: int, name: str = "rnn-zoo-worker") -> tuple[threading.Thread, list[int]]:
    """A thread that SIGKILLs this process's busy worker processes, `times` times in all."""
    killed: list[int] = []

    def loop():
        deadline = time.time() + 300
        while len(killed) < times and time.time() < deadline:
            for child in multiprocessing.active_children():
                if child.name == name and child.pid not in killed and child.is_alive():
                    time.sleep(1)  # let it take the cell
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
                    break
            time.sleep(0.1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread, killed


@pytest.mark.slow
def test_a_killed_worker_process_is_replaced_and_its_cell_retried(tmp_path, capfd):
    cells = tiny_cells(["gru"])
    thread, killed = kill_workers(1)
    assert run(cells, tmp_path, executor=workers.ProcessExecutor(1)) == 0
    thread.join()
    assert len(killed) == 1
    (record,) = store.load_cells(tmp_path)
    assert record.status == "completed"
    assert "died (exit code -9); training it again (retry 1 of 2)" in capfd.readouterr().err


def test_a_cell_whose_worker_always_dies_is_recorded_failed(tmp_path):
    cells = tiny_cells(["gru"])
    thread, killed = kill_workers(workers.RETRIES + 1)
    assert run(cells, tmp_path, executor=workers.ProcessExecutor(1)) == 1
    thread.join()
    (record,) = store.load_cells(tmp_path)
    assert record.status == "failed"
    assert record.error.startswith(f"WorkerDied: the worker process training {cells[0].cell_id} died (exit code -9)")
    assert record.error.endswith(f"on all {workers.RETRIES + 1} attempts")


def test_a_worker_gets_its_share_of_threads(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    one = workers.thread_env(1)
    assert one["OMP_NUM_THREADS"] == one["TF_NUM_INTRAOP_THREADS"] == "1"
    assert one["XLA_FLAGS"] == "--xla_cpu_multi_thread_eigen=false"
    assert workers.thread_env(4)["OMP_NUM_THREADS"] == "4" and "XLA_FLAGS" not in workers.thread_env(4)
    assert workers.ProcessExecutor(2, threads=None).threads == max(1, workers.cpu_count() // 2)


# --- the command's flags ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["--jobs", "0"], "--jobs 0: expected an integer >= 1"),
    (["--jobs", "two"], "argument --jobs: invalid int value: 'two'"),
    (["--executor", "slurm"], "argument --executor: invalid choice: 'slurm' (choose from"),
    (["--address", "10.0.0.1:6379"], "--address needs --executor ray (the executor is local)"),
    (["--executor", "ray", "--jobs", "2"], "--jobs 2: with --executor ray the cluster's CPUs set"),
    (["--executor", "ray", "--address", "not an address"], "--address 'not an address': expected HOST:PORT"),
    (["--executor", "ray", "--cpus-per-cell", "0"], "--cpus-per-cell 0: expected an integer >= 1"),
    (["--executor", "ray", "--address", "127.0.0.1:1"], "--address 127.0.0.1:1: no Ray cluster answers there"),
])
def test_bad_parallel_flags_exit_2_with_one_line(args, message, tmp_path, capsys):
    """An address nothing listens at hung for minutes in Ray's retries."""
    from zoo.bench.cli import main

    if "127.0.0.1:1" in args:
        pytest.importorskip("ray")  # without Ray, the command says so first

    out = tmp_path / "out"
    try:
        code = main(["run", "--tasks", "adding", "--models", "rnn", *args, "--out", str(out)])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


# --- Ray ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance (2 CPUs, no dashboard) for the module's tests, shut down whatever happens."""
    ray = pytest.importorskip("ray")
    from zoo.bench.execution.ray_executor import RayExecutor

    try:
        RayExecutor(local_cpus=2).connect()
        yield ray
    finally:
        ray.shutdown()


def process_table() -> dict[int, tuple[int, int, bytes]]:
    """{pid: (parent pid, session id, command line)} of this machine's live processes (zombies left out)."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid, _, session = stat.read_text().rpartition(")")[2].split()[:4]  # after "pid (comm)"
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue  # it ended while read
        if state != "Z":
            table[int(stat.parent.name)] = (int(ppid), int(session), cmdline)
    return table


def with_descendants(pids: set[int], table: dict[int, tuple[int, int, bytes]]) -> set[int]:
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(child for child, (parent, _, _) in table.items() if parent == pid)
    return found & table.keys()


def ray_task_pids() -> list[int]:
    """This process's own Ray tasks (its local instance's raylet is its child): another run's are not ours."""
    table = process_table()
    return [pid for pid in with_descendants({os.getpid()}, table) if table[pid][2].startswith(b"ray::_train")]


# Cells that train for a second or more, not the tiny ones' fraction of one (JAX with a warm compilation
# cache), so that the killer, 0.3 s into a task, finds it still training.
KILLABLE = {"adding": dict(T=6, n_train=8000, n_val=32, n_test=32)}
KILLABLE_RECIPE = {"*": dict(epochs=10, batch_size=32, patience=10)}
NEVER_DONE_RECIPE = {"*": dict(epochs=1000, batch_size=32, patience=1000)}  # for a cell that must be killed


def kill_ray_task_once() -> tuple[threading.Thread, list[int]]:
    killed: list[int] = []

    def loop():
        deadline = time.time() + 300
        while not killed and time.time() < deadline:
            for pid in ray_task_pids():
                time.sleep(0.3)
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread, killed


@pytest.mark.slow
def test_ray_gives_the_serial_results_and_retries_a_killed_worker(local_ray, tmp_path):
    from zoo.bench.execution.ray_executor import RayExecutor

    cells = tiny_cells(["rnn", "gru"], KILLABLE, KILLABLE_RECIPE)
    assert run(cells, tmp_path / "serial") == 0
    thread, killed = kill_ray_task_once()
    assert run(cells, tmp_path / "ray", executor=RayExecutor(cpus=1)) == 0
    thread.join()
    assert len(killed) == 1
    serial, on_ray = store.load_cells(tmp_path / "serial"), store.load_cells(tmp_path / "ray")
    assert [r.status for r in on_ray] == ["completed", "completed"]
    for a, b in zip(serial, on_ray):
        assert (a.cell_id, a.test, a.history) == (b.cell_id, b.test, b.history)
    assert local_ray.is_initialized()  # the executor leaves a Ray it did not start


@pytest.mark.slow
def test_ray_records_a_cell_failed_once_its_retries_are_spent(local_ray, tmp_path, monkeypatch):
    from zoo.bench.execution.ray_executor import RayExecutor

    monkeypatch.setattr(workers, "RETRIES", 0)
    thread, killed = kill_ray_task_once()
    assert run(tiny_cells(["gru"], KILLABLE, NEVER_DONE_RECIPE), tmp_path, executor=RayExecutor(cpus=1)) == 1
    thread.join()
    (record,) = store.load_cells(tmp_path)
    assert record.status == "failed" and "Worker" in record.error, record.error


def free_ports(n: int) -> list[int]:
    """n distinct ports free now (all bound at once, so none is handed out twice)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def ray_env() -> dict:
    return env_with_repo(RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="token")  # the token: ~/.ray/auth_token


class OwnRay:
    """Ray processes started here: `ray start` nodes on 127.0.0.1 (as on separate machines) or a driver, each in a
    session of its own and all in one temp dir. stop() ends exactly them: every process Ray spawns inherits the
    session of the command that started it (workers change their process group, not their session), and what
    does not is found by its command line naming the temp dir. `ray stop` would end every Ray on the machine:
    another test run's, a user's."""

    def __init__(self, env: dict):
        self.env = env
        self.temp_dir = tempfile.mkdtemp(prefix="rz-ray-", dir="/tmp")  # short: AF_UNIX socket paths are ~107 chars
        self.sessions: set[int] = set()
        self.address: str | None = None  # the head's, once started

    def __enter__(self) -> "OwnRay":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def spawn(self, args: list[str], **popen) -> subprocess.Popen:
        proc = subprocess.Popen(args, env=self.env, start_new_session=True, **popen)
        self.sessions.add(proc.pid)  # its session id
        return proc

    def start_node(self, cpus: int = 1) -> None:
        """The head first, then nodes joining it; each with ports of its own (none of Ray's fixed defaults)."""
        node, agent, agent_grpc, env_agent, metrics, objects, port, client, dashboard = free_ports(9)
        if self.address is None:
            self.address = f"127.0.0.1:{port}"
            where = ["--head", f"--port={port}", f"--ray-client-server-port={client}", "--include-dashboard=false",
                     f"--dashboard-port={dashboard}"]
        else:
            where = [f"--address={self.address}"]
        proc = self.spawn([RAY, "start", *where, "--node-ip-address=127.0.0.1",
                           f"--temp-dir={self.temp_dir}", f"--num-cpus={cpus}", "--object-store-memory=100000000",
                           "--disable-usage-stats", f"--node-manager-port={node}", f"--object-manager-port={objects}",
                           f"--dashboard-agent-listen-port={agent}", f"--dashboard-agent-grpc-port={agent_grpc}",
                           f"--runtime-env-agent-port={env_agent}", f"--metrics-export-port={metrics}"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, _ = proc.communicate(timeout=180)  # a timeout leaves it to stop(), like the daemons it started
        assert proc.returncode == 0, out[-3000:]

    def processes(self) -> set[int]:
        table = process_table()
        mine = {pid for pid, (_, session, cmdline) in table.items()
                if session in self.sessions or self.temp_dir.encode() in cmdline}
        return with_descendants(mine, table) - {os.getpid()}

    def stop(self, grace: float = 10) -> None:
        """SIGTERM, SIGKILL what is left after `grace` seconds, then remove the temp dir."""
        for pid in self.processes():
            signal_if_alive(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.2)
        deadline = time.monotonic() + 30
        while (left := self.processes()) and time.monotonic() < deadline:
            for pid in left:  # again each round: one may have spawned another meanwhile
                signal_if_alive(pid, signal.SIGKILL)
            time.sleep(0.2)
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        assert not left, f"Ray processes left after SIGKILL: {sorted(left)}"


def signal_if_alive(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


@pytest.mark.slow
def test_ray_cluster_of_two_nodes_and_a_killed_driver_resumed(tmp_path):
    """`ray start --head` and a second node joining it, as on two machines; the driver killed, then re-run."""
    pytest.importorskip("ray")
    env = ray_env()
    out = tmp_path / "run"
    with OwnRay(env) as cluster:
        cluster.start_node()
        cluster.start_node()
        args = ["run", *TINY_SETS, "--models", "rnn,gru,lstm,mingru", "--set", "recipe.epochs=4",
                "--executor", "ray", "--address", cluster.address, "--out", str(out)]
        driver = cluster.spawn([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)
        deadline = time.time() + 300
        while not list(store.cells_dir(out).glob("*.json")) and time.time() < deadline and driver.poll() is None:
            time.sleep(0.2)
        driver.kill()
        _, err = driver.communicate(timeout=60)
        finished = {p.name: p.read_text() for p in store.cells_dir(out).glob("*.json")}
        assert 1 <= len(finished) < 4, err[-3000:]
        resumed = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=400)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert f"resuming: {len(finished)} of 4 cells already finished" in resumed.stderr
        after = {p.name: p.read_text() for p in store.cells_dir(out).glob("*.json")}
        assert len(after) == 4 and all(after[name] == text for name, text in finished.items())
        assert {r.status for r in store.load_cells(out)} == {"completed"}
        status = subprocess.run([RAY, "status", f"--address={cluster.address}"], capture_output=True, text=True,
                                timeout=60, env=env).stdout
        assert len(re.findall(r"^ 1 node_", status, re.MULTILINE)) == 2 and "/2.0 CPU" in status, status


# Someone else's Ray on the same machine (another test run's, a user's): a driver that adds one, line by line.
BYSTANDER = """
import sys, ray
ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False, _temp_dir=sys.argv[1])
add_one = ray.remote(lambda x: x + 1)
for line in sys.stdin:
    print(ray.get(add_one.remote(int(line))), flush=True)
"""


def ask(proc: subprocess.Popen, number: int, seconds: float = 120) -> str:
    """The bystander's answer, or "" if it died or hangs."""
    proc.stdin.write(f"{number}\n")
    proc.stdin.flush()
    ready, _, _ = select.select([proc.stdout], [], [], seconds)
    return proc.stdout.readline().strip() if ready else ""


@pytest.mark.slow
def test_stopping_a_test_cluster_leaves_another_ray_on_the_machine_running():
    """The cluster test's teardown (`ray stop --force`) killed a concurrent test run's Ray and failed its suite."""
    pytest.importorskip("ray")
    env = ray_env()
    with OwnRay(env) as other, OwnRay(env) as cluster:  # the `with` stops them should the test fail first
        user = other.spawn([sys.executable, "-c", BYSTANDER, other.temp_dir], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
        assert ask(user, 1, seconds=180) == "2"
        theirs = other.processes()
        cluster.start_node()
        cluster.start_node()
        ours = cluster.processes()
        assert len(ours) >= 4 and not ours & theirs  # two raylets, the GCS, agents...
        cluster.stop()
        assert not ours & process_table().keys() and not Path(cluster.temp_dir).exists()
        assert ask(user, 41) == "42" and user.poll() is None


def test_a_dead_runs_claim_on_a_finished_cell_is_swept_at_the_end(tmp_path):
    """A run killed between writing a cell's file and releasing its claim left the claim for good."""
    cells = tiny_cells(["rnn"])
    assert run(cells, tmp_path) == 0
    write_claim(tmp_path, cells[0].cell_id, store.HOST, 999999999)  # no such process
    alive = write_claim(tmp_path, "another", "elsewhere", 1)
    assert run(cells, tmp_path) == 0
    assert list((tmp_path / "claims").iterdir()) == [alive]


def test_progress_with_cells_in_flight_prints_one_line_per_cell_and_an_eta_over_them(monkeypatch):
    """Four 10-second cells two at a time take 20 s: after the first ends, 10 s are left (not 30)."""
    from zoo.bench.reporting import reporters
    from zoo.bench.execution.train import base_record

    now = [0.0]
    monkeypatch.setattr(reporters.time, "perf_counter", lambda: now[0])
    stream = io.StringIO()
    progress = Progress(Path("out"), stream, concurrent=True)
    cells = tiny_cells(["rnn", "gru", "lstm", "mingru"])
    progress.on_start(4, 0)
    progress.on_cell_start(cells[0])
    progress.on_cell_start(cells[1])
    now[0] = 10.0

    def end(cell):
        progress.on_cell_end(base_record(cell, "completed", error=None, wall_seconds=9.5, metric="mse",
                                         test_metric=0.5, baseline=0.1667, epochs=2))

    end(cells[0])
    progress.on_cell_start(cells[2])
    now[0] = 10.5
    end(cells[1])
    progress.on_cell_skipped(cells[3], "in progress in another run (host h, pid 1, since x)", in_progress=True)
    progress.on_finish("finished", 0)
    assert stream.getvalue().splitlines() == [
        "[1/4 | 00:00:10 elapsed | ETA 00:00:10] rnn on adding(T=6) seed 0: completed: mse 0.5 (baseline 0.1667), "
        "2 epochs, 9.5s",
        "[2/4 | 00:00:10 elapsed | ETA 00:00:10] gru on adding(T=6) seed 0: completed: mse 0.5 (baseline 0.1667), "
        "2 epochs, 9.5s",
        "[3/4 | 00:00:10 elapsed | ETA 00:00:09] mingru on adding(T=6) seed 0: skipped, in progress in another run "
        "(host h, pid 1, since x)",
        "1 cell(s) left to another run on out; once it ends, `rnn-zoo report out` has them all",
    ]
