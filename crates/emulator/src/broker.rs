//! Starting, reloading, restarting and stopping a real Mosquitto broker.
//!
//! One supervisor thread owns the broker process and does everything to it,
//! in order, on commands from the API. On Linux the broker is started
//! through `setpriv --pdeathsig KILL` when that tool is there, so that it
//! dies with the supervisor thread even when the emulator is killed with
//! `SIGKILL`; a broker left over from such a kill is also stopped on the
//! next start in the same data directory (its process id is kept in
//! `mosquitto.pid`). Signals are sent with `rustix`'s safe `kill`, so this
//! crate needs no `unsafe`.
//!
//! A reload rewrites the `password_file` and `acl_file` atomically, sends
//! `SIGHUP`, waits until the broker's log shows the reload began, then
//! until the broker answers an MQTT `CONNECT` (which its single-threaded
//! loop can only do once the reload is done), so that a change the API
//! shows as applied is already enforced. Start-up waits for such an answer
//! too. A broker that dies on its own is started again on the same port.
//!
//! # Failing closed
//! Mosquitto does not stop when it reloads an `acl_file` it cannot read: it
//! logs `Error opening acl file` and from then on checks no ACL at all.
//! So the supervisor never hands the broker files it would refuse
//! ([`mosquitto::check_acl_file`]): it keeps the broker on the last files
//! the broker accepted (at start, when there are none, on an `acl_file`
//! that denies everything), reports why ([`Broker::problem`]), and the next
//! reload or restart with files the broker accepts clears the problem. A
//! reload whose log still shows such an error puts the last good files
//! back at once.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use crate::mosquitto;
use crate::store::{Snapshot, write_atomically};

/// How long a broker has to start accepting connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a broker has to reload its files after `SIGHUP`.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a broker has to exit after `SIGTERM` before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the supervisor checks that the broker still runs.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);
/// The file holding the running broker's process id.
const PID_FILE: &str = "mosquitto.pid";
/// The file receiving the broker's standard error.
const STDERR_FILE: &str = "mosquitto.stderr";

/// What to run and where.
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// The `mosquitto` executable.
    pub program: PathBuf,
    /// Where its configuration, password, ACL and log files go.
    pub dir: PathBuf,
    /// The port to listen on; 0 picks a free one.
    pub port: u16,
    /// The address to listen on (loopback unless told otherwise).
    pub host: IpAddr,
    /// Where the broker logs at debug level (every denied publish), instead
    /// of its notices in the data directory's log.
    pub debug_log: Option<PathBuf>,
}

impl BrokerSettings {
    /// The broker's log file.
    fn log_path(&self) -> PathBuf {
        self.debug_log
            .clone()
            .unwrap_or_else(|| self.dir.join(mosquitto::LOG_FILE))
    }
}

/// The broker's password and ACL files' contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerFiles {
    /// The `password_file`.
    pub passwords: String,
    /// The `acl_file`.
    pub acl: String,
}

impl BrokerFiles {
    /// The files for a snapshot of the API's state.
    pub fn from_snapshot(snapshot: &Snapshot) -> Self {
        Self {
            passwords: mosquitto::password_file(snapshot),
            acl: mosquitto::acl_file(snapshot),
        }
    }

    /// Why the broker would refuse these files, if it would.
    ///
    /// # Errors
    /// The reason, in words.
    pub fn check(&self) -> Result<(), String> {
        mosquitto::check_acl_file(&self.acl)
            .map_err(|why| format!("the broker cannot load its acl_file: {why}"))
    }

    /// The same users, and an `acl_file` that denies every access.
    fn deny_all(&self) -> Self {
        Self {
            passwords: self.passwords.clone(),
            acl: mosquitto::DENY_ALL_ACL.to_owned(),
        }
    }
}

/// Why the broker is not running on the files it was last given; shared
/// by the supervisor and the handle.
type Problem = Arc<Mutex<Option<String>>>;

fn set_problem(problem: &Problem, value: Option<String>) {
    if let Some(why) = &value {
        log!("cloudmqtt-emulator: {why}; the broker keeps its last good files");
    }
    *problem.lock().unwrap_or_else(PoisonError::into_inner) = value;
}

/// The error a refused configuration is reported with.
fn refused(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{why}; the broker keeps its last good files"),
    )
}

enum Order {
    Reload(BrokerFiles, mpsc::Sender<io::Result<()>>),
    Restart(BrokerFiles, mpsc::Sender<io::Result<()>>),
    Stop(mpsc::Sender<()>),
}

/// A handle on the supervised broker.
#[derive(Debug)]
pub struct Broker {
    commands: mpsc::Sender<Order>,
    problem: Problem,
    port: u16,
    host: IpAddr,
    thread: Option<thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Reload(..) => "Reload",
            Self::Restart(..) => "Restart",
            Self::Stop(_) => "Stop",
        })
    }
}

impl Broker {
    /// Starts the broker with `files` and waits until it accepts
    /// connections.
    ///
    /// # Errors
    /// When the broker cannot be started or does not come up in time.
    /// Files the broker would refuse are not given to it (see the module
    /// documentation): it starts on an `acl_file` that denies every access,
    /// and [`Broker::problem`] says why.
    pub fn start(settings: BrokerSettings, files: BrokerFiles) -> io::Result<Self> {
        let (commands, inbox) = mpsc::channel();
        let (started, started_rx) = mpsc::channel();
        let problem = Problem::default();
        let files = match files.check() {
            Ok(()) => files,
            Err(why) => {
                set_problem(&problem, Some(why));
                files.deny_all()
            }
        };
        let shared = Arc::clone(&problem);
        let host = settings.host;
        let thread = thread::Builder::new()
            .name("broker".into())
            .spawn(move || {
                let mut process = match Process::start(&settings, &files) {
                    Ok(process) => {
                        let _ = started.send(Ok(process.port));
                        process
                    }
                    Err(error) => {
                        let _ = started.send(Err(error));
                        return;
                    }
                };
                supervise(&settings, &mut process, files, &inbox, &shared);
            })?;
        match started_rx.recv() {
            Ok(Ok(port)) => Ok(Self {
                commands,
                problem,
                port,
                host,
                thread: Some(thread),
            }),
            Ok(Err(error)) => {
                let _ = thread.join();
                Err(error)
            }
            Err(_) => {
                let _ = thread.join();
                Err(io::Error::other("the broker supervisor stopped"))
            }
        }
    }

    /// The port the broker listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Why the broker is not running on the files it was last given (it
    /// runs on the last files it accepted, or denies everything), or `None`
    /// when it is.
    pub fn problem(&self) -> Option<String> {
        self.problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The address the broker listens on.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// Writes new files and makes the broker reload them; returns once it
    /// has.
    ///
    /// # Errors
    /// When the files cannot be written or the broker does not reload, and
    /// ([`io::ErrorKind::InvalidData`]) when the broker would refuse them:
    /// it then keeps the last files it accepted.
    pub fn reload(&self, files: BrokerFiles) -> io::Result<()> {
        self.ask(|reply| Order::Reload(files, reply))
    }

    /// Stops the broker and starts it again on the same port with `files`;
    /// returns once it accepts connections.
    ///
    /// # Errors
    /// When the broker does not come back, and
    /// ([`io::ErrorKind::InvalidData`]) when it would refuse `files`: it
    /// then starts again on the last files it accepted.
    pub fn restart(&self, files: BrokerFiles) -> io::Result<()> {
        self.ask(|reply| Order::Restart(files, reply))
    }

    fn ask(&self, command: impl FnOnce(mpsc::Sender<io::Result<()>>) -> Order) -> io::Result<()> {
        let (reply, answer) = mpsc::channel();
        self.commands
            .send(command(reply))
            .map_err(|_| io::Error::other("the broker supervisor stopped"))?;
        answer
            .recv()
            .map_err(|_| io::Error::other("the broker supervisor stopped"))?
    }

    /// Stops the broker (`SIGTERM`, then `SIGKILL` if it lingers) and its
    /// supervisor.
    pub fn stop(&mut self) {
        let (reply, answer) = mpsc::channel();
        if self.commands.send(Order::Stop(reply)).is_ok() {
            let _ = answer.recv();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The supervisor's loop: run commands, restart a broker that died.
///
/// `files` are always the last files the broker accepted.
fn supervise(
    settings: &BrokerSettings,
    process: &mut Process,
    mut files: BrokerFiles,
    inbox: &mpsc::Receiver<Order>,
    problem: &Problem,
) {
    loop {
        match inbox.recv_timeout(WATCH_INTERVAL) {
            Ok(Order::Reload(new_files, reply)) => {
                let result = match new_files.check() {
                    Err(why) => {
                        set_problem(problem, Some(why.clone()));
                        Err(refused(&why))
                    }
                    Ok(()) => match process.reload(settings, &new_files) {
                        Ok(()) => {
                            files = new_files;
                            set_problem(problem, None);
                            Ok(())
                        }
                        Err(error) => {
                            // Whatever the broker did with them, put the
                            // last good files back.
                            let why = format!("the broker did not reload its files: {error}");
                            set_problem(problem, Some(why.clone()));
                            if let Err(again) = process.reload(settings, &files) {
                                log!(
                                    "cloudmqtt-emulator: restoring the last good files failed: {again}"
                                );
                            }
                            Err(io::Error::new(error.kind(), why))
                        }
                    },
                };
                let _ = reply.send(result);
            }
            Ok(Order::Restart(new_files, reply)) => {
                let check = new_files.check();
                if check.is_ok() {
                    files = new_files;
                }
                process.stop(&settings.dir);
                let result =
                    Process::start_on(settings, process.port, &files).map(|fresh| *process = fresh);
                let result = match (check, result) {
                    (Err(why), _) => {
                        set_problem(problem, Some(why.clone()));
                        Err(refused(&why))
                    }
                    (Ok(()), Ok(())) => {
                        set_problem(problem, None);
                        Ok(())
                    }
                    (Ok(()), Err(error)) => Err(error),
                };
                let _ = reply.send(result);
            }
            Ok(Order::Stop(reply)) => {
                process.stop(&settings.dir);
                let _ = reply.send(());
                return;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if process.has_exited() {
                    log!(
                        "cloudmqtt-emulator: the broker exited; starting it again on port {}",
                        process.port
                    );
                    match Process::start_on(settings, process.port, &files) {
                        Ok(fresh) => *process = fresh,
                        Err(error) => {
                            log!("cloudmqtt-emulator: could not restart the broker: {error}");
                        }
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                process.stop(&settings.dir);
                return;
            }
        }
    }
}

/// One running broker process.
struct Process {
    child: Option<Child>,
    port: u16,
    host: IpAddr,
}

impl Process {
    /// Starts a broker; with port 0, on a free port (trying a few in case
    /// another process takes the one picked).
    fn start(settings: &BrokerSettings, files: &BrokerFiles) -> io::Result<Self> {
        stop_leftover(&settings.dir);
        if settings.port != 0 {
            return Self::start_on(settings, settings.port, files);
        }
        let mut last_error = io::Error::other("no free port");
        for _ in 0..5 {
            let port = free_port(settings.host)?;
            match Self::start_on(settings, port, files) {
                Ok(process) => return Ok(process),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    /// Writes every file, starts the broker on `port` and waits until it
    /// accepts connections.
    fn start_on(settings: &BrokerSettings, port: u16, files: &BrokerFiles) -> io::Result<Self> {
        let dir = &settings.dir;
        write_files(dir, files)?;
        write_atomically(
            &dir.join(mosquitto::CONFIG_FILE),
            mosquitto::config_file(
                dir,
                (settings.host, port),
                running_as_root(),
                (&settings.log_path(), settings.debug_log.is_some()),
            )
            .as_bytes(),
        )?;
        let stderr = fs::File::create(dir.join(STDERR_FILE))?;
        let mut command = match setpriv() {
            Some(setpriv) => {
                let mut command = Command::new(setpriv);
                command
                    .arg("--pdeathsig")
                    .arg("KILL")
                    .arg(&settings.program);
                command
            }
            None => Command::new(&settings.program),
        };
        let child = command
            .arg("-c")
            .arg(dir.join(mosquitto::CONFIG_FILE))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("cannot run {}: {error}", settings.program.display()),
                )
            })?;
        let _ = write_atomically(&dir.join(PID_FILE), child.id().to_string().as_bytes());
        let mut process = Self {
            child: Some(child),
            port,
            host: settings.host,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if process.has_exited() {
                return Err(io::Error::other(format!(
                    "mosquitto exited at start: {}",
                    tail(dir, &settings.log_path())
                )));
            }
            // Ready when it answers MQTT, not merely when the port is open.
            if mqtt_round_trip(SocketAddr::new(settings.host, port)).is_ok() {
                return Ok(process);
            }
            if Instant::now() >= deadline {
                process.stop(dir);
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("mosquitto did not accept connections on port {port} in time"),
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn has_exited(&mut self) -> bool {
        match &mut self.child {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => true,
        }
    }

    /// Rewrites the files, sends `SIGHUP`, and waits for the broker's log to
    /// say it reloaded.
    fn reload(&mut self, settings: &BrokerSettings, files: &BrokerFiles) -> io::Result<()> {
        write_files(&settings.dir, files)?;
        let Some(child) = &self.child else {
            return Err(io::Error::other("the broker is not running"));
        };
        let log = settings.log_path();
        let offset = fs::metadata(&log).map_or(0, |meta| meta.len());
        signal(child.id(), Signal::HUP)?;
        nudge(SocketAddr::new(self.host, self.port));
        let deadline = Instant::now() + RELOAD_TIMEOUT;
        while !reloaded_since(&log, offset) {
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the broker did not reload its files in time",
                ));
            }
            thread::sleep(Duration::from_millis(2));
        }
        // The log line comes just before the files are read, in the same
        // step of the broker's single-threaded loop: a connection it
        // answers from now on is answered after the reload.
        mqtt_round_trip(SocketAddr::new(self.host, self.port))?;
        match refusal_since(&log, offset) {
            Some(line) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the broker refused its files: {line}"),
            )),
            None => Ok(()),
        }
    }

    /// Stops the broker: `SIGTERM`, then `SIGKILL` after a grace period.
    fn stop(&mut self, dir: &Path) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if matches!(child.try_wait(), Ok(None)) {
            let _ = signal(child.id(), Signal::TERM);
            let deadline = Instant::now() + STOP_TIMEOUT;
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
        }
        let _ = child.wait();
        let _ = fs::remove_file(dir.join(PID_FILE));
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn write_files(dir: &Path, files: &BrokerFiles) -> io::Result<()> {
    write_atomically(
        &dir.join(mosquitto::PASSWORD_FILE),
        files.passwords.as_bytes(),
    )?;
    write_atomically(&dir.join(mosquitto::ACL_FILE), files.acl.as_bytes())
}

/// Whether the broker's log says, past `offset`, that it reloaded its
/// configuration.
fn reloaded_since(log: &Path, offset: u64) -> bool {
    use std::io::{Read as _, Seek as _, SeekFrom};
    const NEEDLE: &[u8] = b"Reloading config";
    let mut tail = Vec::new();
    let read = fs::File::open(log).and_then(|mut file| {
        file.seek(SeekFrom::Start(offset))?;
        file.read_to_end(&mut tail)
    });
    read.is_ok() && tail.windows(NEEDLE.len()).any(|window| window == NEEDLE)
}

/// The first line of the broker's log past `offset` saying it could not
/// load its password or ACL file.
fn refusal_since(log: &Path, offset: u64) -> Option<String> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut tail = Vec::new();
    fs::File::open(log)
        .and_then(|mut file| {
            file.seek(SeekFrom::Start(offset))?;
            file.read_to_end(&mut tail)
        })
        .ok()?;
    String::from_utf8_lossy(&tail)
        .lines()
        .find(|line| line.contains("Error opening") || line.contains("Invalid ACL topic"))
        .map(|line| line.chars().take(200).collect())
}

/// Opens and closes a connection to the broker. Mosquitto blocks signals
/// while it waits for network events, for up to 100 ms at a time, and
/// handles a `SIGHUP` only once the wait ends: a connection ends it at
/// once, so that a reload takes milliseconds rather than up to a tenth of
/// a second. A failure only means the reload waits for the timeout.
fn nudge(address: SocketAddr) {
    let _ = TcpStream::connect_timeout(&connectable(address), RELOAD_TIMEOUT);
}

/// Sends an anonymous MQTT 3.1.1 CONNECT and waits for the CONNACK (a
/// refusal, since anonymous clients are not allowed): proof that the broker
/// has gone once more around its loop.
fn mqtt_round_trip(address: SocketAddr) -> io::Result<()> {
    use std::io::{Read as _, Write as _};
    // CONNECT: protocol "MQTT" level 4, clean session, keep-alive 10 s,
    // empty client id.
    const CONNECT: [u8; 14] = [0x10, 12, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 10, 0, 0];
    let address = connectable(address);
    let mut stream = TcpStream::connect_timeout(&address, RELOAD_TIMEOUT)?;
    stream.set_read_timeout(Some(RELOAD_TIMEOUT))?;
    stream.write_all(&CONNECT)?;
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack)?;
    if connack[0] == 0x20 {
        Ok(())
    } else {
        Err(io::Error::other(
            "the broker answered CONNECT with something else",
        ))
    }
}

/// Sends a signal to a process.
fn signal(pid: u32, signal: Signal) -> io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| io::Error::other(format!("invalid process id {pid}")))?;
    rustix::process::kill_process(pid, signal).map_err(io::Error::from)
}

/// Stops a broker left running by an emulator that was killed, if its
/// process still runs this data directory's configuration.
fn stop_leftover(dir: &Path) {
    let Ok(pid) = fs::read_to_string(dir.join(PID_FILE)) else {
        return;
    };
    let Ok(pid) = pid.trim().parse::<u32>() else {
        return;
    };
    let config = dir.join(mosquitto::CONFIG_FILE);
    let ours = fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
        let config = config.as_os_str().as_encoded_bytes();
        cmdline.windows(config.len()).any(|window| window == config)
    });
    if ours {
        log!("cloudmqtt-emulator: stopping a broker left running (pid {pid})");
        let _ = signal(pid, Signal::KILL);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = fs::remove_file(dir.join(PID_FILE));
}

/// What `/health` says of the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerState {
    /// It answers MQTT.
    Running,
    /// It should, and does not.
    Stopped,
    /// The emulator runs without a broker.
    Disabled,
}

impl BrokerState {
    /// `running`, `stopped` or `disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Disabled => "disabled",
        }
    }
}

/// Whether the broker at `address` (`None`: no broker) answers an MQTT
/// `CONNECT` now.
pub fn state(address: Option<SocketAddr>) -> BrokerState {
    match address {
        None => BrokerState::Disabled,
        Some(address) if mqtt_round_trip(address).is_ok() => BrokerState::Running,
        Some(_) => BrokerState::Stopped,
    }
}

/// `address`, with an unspecified IP (`0.0.0.0`, `::`) replaced by the
/// loopback address of the same family: where a client on this machine
/// connects.
pub fn connectable(address: SocketAddr) -> SocketAddr {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, address.port())
}

/// A port on `host` that was free a moment ago.
fn free_port(host: IpAddr) -> io::Result<u16> {
    Ok(TcpListener::bind((host, 0))?.local_addr()?.port())
}

/// Whether this process runs as root (from `/proc/self/status`).
fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// `setpriv`, if the machine has it.
fn setpriv() -> Option<PathBuf> {
    find_program("setpriv", &[])
}

/// Finds `mosquitto` on `PATH` or in the places Linux distributions install
/// it (`/usr/sbin` is often not on a user's `PATH`).
pub fn find_mosquitto() -> Option<PathBuf> {
    find_program(
        "mosquitto",
        &["/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin"],
    )
}

/// Whether `program` names an executable file: a path, or a bare name
/// found on `PATH`, as starting the broker looks it up.
pub fn can_run(program: &Path) -> bool {
    match program.to_str() {
        Some(name) if program.parent() == Some(Path::new("")) => find_program(name, &[]).is_some(),
        _ => is_executable(program),
    }
}

fn find_program(name: &str, extra_dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The last lines the broker wrote, to explain a failed start.
fn tail(dir: &Path, log: &Path) -> String {
    let mut text = fs::read_to_string(dir.join(STDERR_FILE)).unwrap_or_default();
    if text.trim().is_empty() {
        text = fs::read_to_string(log).unwrap_or_default();
    }
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    let joined = lines.into_iter().rev().collect::<Vec<_>>().join(" | ");
    if joined.is_empty() {
        "no output".to_owned()
    } else {
        joined
    }
}
