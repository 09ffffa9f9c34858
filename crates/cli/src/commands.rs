//! Carrying out each command: build the core's operation, drive it with the
//! blocking transport, print the result.

use std::io::{self, Write};

use cloudmqtt_api::{
    AllUsers, CreateAclRule, CreateUser, DeleteAclRule, DeleteUser, GetUser, ListAclRules,
    ListUsers, Mutation, NewAclRule, Operation, ResetInstance, RestartInstance, UpdatePassword,
    WaitOptions,
};

use crate::access;
use crate::args::{
    AclCommand, Cli, Command, InstanceCommand, ListUsersArgs, UsersCommand, WaitArgs,
};
use crate::client::Client;
use crate::failure::Failure;
use crate::input;
use crate::output;

/// Runs the parsed command line.
///
/// # Errors
/// The first failure: invalid input, an API or network error, or output
/// that could not be written.
pub fn run(cli: Cli) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    let json = cli.global.json;
    crate::trace::enable(cli.global.debug);
    let command = match cli.command {
        Command::Completions { shell } => {
            // Generated into memory first: the generator panics on a
            // failed write, and a closed pipe must stay a quiet exit.
            let mut script = Vec::new();
            let mut command = crate::args::completion_command(crate::profiles::completion_names());
            clap_complete::generate(shell, &mut command, "cloudmqtt", &mut script);
            stdout.write_all(&script)?;
            return Ok(());
        }
        // These need no server with -f, so no API key either.
        Command::Acl(AclCommand::Check(args)) => {
            return access::check(args, json, || Client::new(&cli.global), &mut stdout);
        }
        Command::Acl(AclCommand::Lint(args)) => {
            return access::lint_rules(args, json, || Client::new(&cli.global), &mut stdout);
        }
        Command::Acl(AclCommand::Why(args)) => {
            return access::why(args, json, || Client::new(&cli.global), &mut stdout);
        }
        Command::Acl(AclCommand::Diff(args)) => {
            return crate::diff::diff(args, json, || Client::new(&cli.global), &mut stdout);
        }
        Command::Acl(AclCommand::Test(args)) => {
            return crate::suite::test(args, json, || Client::new(&cli.global), &mut stdout);
        }
        // These read and check their file before they need the server.
        Command::Plan(args) => {
            return crate::plan::plan(|| Client::new(&cli.global), &args, json, &mut stdout);
        }
        Command::Apply(args) => {
            return crate::plan::apply(|| Client::new(&cli.global), &args, json, &mut stdout);
        }
        Command::Man => {
            let mut page = Vec::new();
            crate::args::write_manual(&mut page)?;
            stdout.write_all(&page)?;
            return Ok(());
        }
        Command::Profiles(command) => {
            return crate::profiles::run(command, &cli.global, &mut stdout);
        }
        command => command,
    };
    let mut client = Client::new(&cli.global)?;
    match command {
        Command::Users(command) => users(&mut client, command, json, &mut stdout),
        Command::Acl(command) => acl(&mut client, command, json, &mut stdout),
        Command::Instance(command) => instance(&mut client, command, json, &mut stdout),
        Command::Export(args) => crate::export::export(&mut client, args.format, json, &mut stdout),
        Command::Emulator(command) => crate::emulator::run(&mut client, command, json, &mut stdout),
        Command::Completions { .. }
        | Command::Man
        | Command::Profiles(_)
        | Command::Plan(_)
        | Command::Apply(_) => Ok(()),
    }
}

fn users(
    client: &mut Client,
    command: UsersCommand,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    match command {
        UsersCommand::List(args) => {
            let users = list_users(client, args)?;
            if json {
                output::write_json(out, &users)?;
            } else {
                output::write_users(out, &users)?;
            }
        }
        UsersCommand::Get { name } => {
            let info = client.call(GetUser { username: name })?;
            if json {
                output::write_json(out, &info)?;
            } else {
                output::write_user_info(out, &info)?;
            }
        }
        UsersCommand::Create {
            name,
            password,
            wait,
        } => {
            let password = input::password(password.password_stdin)?;
            let what = format!("user {name:?}");
            let op = CreateUser {
                username: name,
                password,
            };
            mutate(client, op, &wait, json, out, &format!("created {what}"))?;
        }
        UsersCommand::SetPassword { name, password } => {
            let password = input::password(password.password_stdin)?;
            let done = format!("set the password of user {name:?}");
            client.call(UpdatePassword {
                username: name,
                password,
            })?;
            confirm_done(json, out, &done)?;
        }
        UsersCommand::Delete { name, wait } => {
            let done = format!("deleted user {name:?}");
            mutate(
                client,
                DeleteUser { username: name },
                &wait,
                json,
                out,
                &done,
            )?;
        }
    }
    Ok(())
}

/// One page, or with `--all` every page (the core's [`AllUsers`]).
fn list_users(
    client: &mut Client,
    args: ListUsersArgs,
) -> Result<Vec<cloudmqtt_api::User>, Failure> {
    if !args.all {
        return Ok(client.call(ListUsers {
            limit: args.limit,
            page: args.page,
            query: args.query,
        })?);
    }
    let page_size = args.limit.unwrap_or(cloudmqtt_api::DEFAULT_PAGE_SIZE);
    let seed = client.next_seed();
    let mut walk = AllUsers::new(&client.config, args.query, page_size, client.policy, seed)?;
    Ok(client.drive(&mut walk)?)
}

fn acl(
    client: &mut Client,
    command: AclCommand,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    match command {
        AclCommand::List => {
            let rules = client.call(ListAclRules)?;
            if json {
                output::write_json(out, &rules)?;
            } else {
                output::write_acl_rules(out, &rules)?;
            }
        }
        AclCommand::Create(args) => {
            let rule = NewAclRule::from_parts(
                args.kind.into(),
                args.user,
                args.pattern,
                args.read,
                args.write,
            )?;
            let done = match rule.username() {
                Some(user) => format!(
                    "created {} rule {:?} for user {user:?}",
                    rule.kind().as_str(),
                    rule.pattern()
                ),
                None => format!("created {} rule {:?}", rule.kind().as_str(), rule.pattern()),
            };
            mutate(client, CreateAclRule { rule }, &args.wait, json, out, &done)?;
        }
        AclCommand::Delete {
            kind,
            user,
            topic,
            wait,
        } => {
            let op = DeleteAclRule::from_parts(Some(kind.into()), user, topic)?;
            let done = match &op.username {
                Some(user) => format!(
                    "deleted the rules of user {user:?} for topic {:?}",
                    op.topic
                ),
                None => format!("deleted the pattern rules for {:?}", op.topic),
            };
            mutate(client, op, &wait, json, out, &done)?;
        }
        AclCommand::Check(_)
        | AclCommand::Why(_)
        | AclCommand::Lint(_)
        | AclCommand::Test(_)
        | AclCommand::Diff(_) => {
            unreachable!("acl check, why, lint and test are run before a client is made")
        }
    }
    Ok(())
}

fn instance(
    client: &mut Client,
    command: InstanceCommand,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    match command {
        InstanceCommand::Restart => {
            client.call(RestartInstance)?;
            confirm_done(json, out, "restart requested")
        }
        InstanceCommand::Reset { yes } => {
            if !yes && !input::confirm("Reset the instance?")? {
                return Err(Failure::Usage(
                    "reset not confirmed; nothing was sent".to_owned(),
                ));
            }
            client.call(ResetInstance)?;
            confirm_done(json, out, "reset requested")
        }
    }
}

/// Sends an asynchronous change, then with `--wait` polls until it shows.
fn mutate<O: Operation>(
    client: &mut Client,
    op: O,
    wait: &WaitArgs,
    json: bool,
    out: &mut impl Write,
    done: &str,
) -> Result<(), Failure> {
    let options = wait.wait.then(|| WaitOptions {
        interval: wait.wait_interval.0,
        timeout: wait.wait_timeout.0,
        ..WaitOptions::default()
    });
    let waits = options.is_some() && op.wait_target().is_some();
    let seed = client.next_seed();
    let mut mutation = Mutation::new(&client.config, op, client.policy, seed, options);
    client.drive(&mut mutation)?;
    if waits {
        confirm_done(json, out, done)
    } else {
        confirm_done(
            json,
            out,
            &format!("{done} (the server may take up to a minute to apply it; --wait waits)"),
        )
    }
}

/// Tells a person that a change went through; scripts (`--json`) get
/// nothing on stdout and read the exit code.
fn confirm_done(json: bool, out: &mut impl Write, done: &str) -> Result<(), Failure> {
    if !json {
        writeln!(out, "{done}")?;
    }
    Ok(())
}
