//! `ptr-audit import netbox`: reads the address plan from NetBox into an
//! inventory (stdout or `--output`, checked by the inventory validator before
//! it is written), or compares it with a committed inventory (`--check`:
//! exit 1 on drift). The mapping lives in `ptr_audit_netbox`; this module
//! turns flags into its options and prints.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use ptr_audit_inventory::Change;
use ptr_audit_model::Policy;
use ptr_audit_netbox::{
    Client, ClientOptions, DatacenterFrom, Options, PolicyRule, Token, render::Into,
    render::ProviderFlags,
};
use ptr_audit_report::escape::terminal;

use crate::exit::ExitCode;
use crate::output::Outputs;

/// Arguments of `ptr-audit import`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand, Debug)]
enum Source {
    /// Read prefixes and IP addresses from NetBox (4.1 and later) into an inventory.
    #[command(after_help = NETBOX_HELP)]
    Netbox(Box<NetboxArgs>),
}

const NETBOX_HELP: &str =
    "The mapping (docs/inventory.md, \"Importing from NetBox\"): leaf prefixes \
become blocks (containers and prefixes with prefixes inside are skipped), grouped into datacenters \
by site or region slug; status reserved/deprecated makes a block `reserved`, else the first \
--policy-from rule that matches, else --default-policy; IP addresses with a usable dns_name inside \
a block become assignments (dhcp, slaac and nameless ones are counted and skipped).

Exit codes:
  0    written (or, with --check, no drift)
  1    --check: NetBox and the inventory differ
  2    bad input or usage, an unreachable or refusing NetBox, or an import that does not validate";

/// Datacenter source, for clap.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum DatacenterArg {
    /// The prefix's site slug (NetBox ≤ 4.1: `site`; ≥ 4.2: `scope`, a location's site).
    Site,
    /// The slug of that site's region (or of a region scope).
    Region,
}

/// Policies, for clap.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum PolicyArg {
    Mail,
    Hosting,
    Reserved,
}

#[derive(clap::Args, Debug)]
struct NetboxArgs {
    /// NetBox's address, as its pages are (`https://netbox.example.net`).
    #[arg(long, value_name = "URL")]
    url: String,
    /// A file holding the API token alone: a v1 token (sent as `Token …`) or a
    /// v2 `nbt_…` token (sent as `Bearer …`). It is never printed.
    #[arg(long, value_name = "FILE")]
    token_file: PathBuf,
    /// Trust only the PEM certificates in this file (an internal CA) instead of the system's.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// The deadline of each request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    timeout: u64,
    /// Import only this VRF (name or RD; `global` for the global table); repeatable. Default: all.
    #[arg(long, value_name = "VRF")]
    vrf: Vec<String>,
    /// Import only prefixes of this tenant (slug); repeatable. Default: all.
    #[arg(long, value_name = "SLUG")]
    tenant: Vec<String>,
    /// Where a block's datacenter comes from.
    #[arg(long, value_enum, default_value = "site")]
    datacenter_from: DatacenterArg,
    /// The datacenter of prefixes without a site (or region).
    #[arg(long, value_name = "NAME", default_value = "-")]
    default_datacenter: String,
    /// Policy rules, first match wins: `tag:SLUG=POLICY`, `role:SLUG=POLICY`,
    /// `cf:FIELD:VALUE=POLICY`, or `cf:FIELD` (a custom field holding the policy), comma-separated.
    #[arg(long, value_name = "RULES")]
    policy_from: Vec<String>,
    /// The policy of a prefix no rule matches.
    #[arg(long, value_enum, default_value = "hosting")]
    default_policy: PolicyArg,
    /// `provider.name` to write.
    #[arg(long, value_name = "NAME")]
    provider_name: Option<String>,
    /// A zone of the provider's (`provider.domains`); repeatable.
    #[arg(long, value_name = "DOMAIN")]
    domain: Vec<String>,
    /// A default naming template of the provider's (`provider.default_ptr`); repeatable.
    #[arg(long, value_name = "TEMPLATE")]
    default_ptr: Vec<String>,
    /// Merge into this inventory: its hand-written keys (provider, migration
    /// history, templates, excludes, samples, severities, notes) are kept; its
    /// comments are not.
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    into: Option<PathBuf>,
    /// Write here instead of stdout; an existing file is replaced only once
    /// the import validated (so `--into inv.yaml --output inv.yaml` is safe).
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "check")]
    output: Option<PathBuf>,
    /// Print the drift between NetBox and this inventory (blocks and assignments
    /// added, removed, changed) and exit 1 when they differ.
    #[arg(long, value_name = "INVENTORY")]
    check: Option<String>,
}

/// Runs `import`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.source {
        Source::Netbox(a) => netbox(*a),
    }
}

fn netbox(args: NetboxArgs) -> anyhow::Result<ExitCode> {
    let mut policy_rules = Vec::new();
    for rules in &args.policy_from {
        policy_rules.extend(PolicyRule::parse_list(rules)?);
    }
    let options = Options {
        vrfs: args.vrf.clone(),
        tenants: args.tenant.clone(),
        datacenter_from: match args.datacenter_from {
            DatacenterArg::Site => DatacenterFrom::Site,
            DatacenterArg::Region => DatacenterFrom::Region,
        },
        default_datacenter: args.default_datacenter.clone(),
        policy_rules,
        default_policy: match args.default_policy {
            PolicyArg::Mail => Policy::Mail,
            PolicyArg::Hosting => Policy::Hosting,
            PolicyArg::Reserved => Policy::Reserved,
        },
    };
    let into = match &args.into {
        None => None,
        Some(path) => Some(Into {
            path: path.clone(),
            text: std::fs::read_to_string(path)
                .with_context(|| format!("cannot read `{}`", path.display()))?,
        }),
    };
    let provider = ProviderFlags {
        name: args.provider_name.clone(),
        domains: args.domain.clone(),
        default_ptr: args.default_ptr.clone(),
    };
    if provider.name.is_none()
        && (!provider.domains.is_empty() || !provider.default_ptr.is_empty())
        && into.is_none()
    {
        bail!(
            "`--domain` and `--default-ptr` fill the provider section, which needs `--provider-name`"
        );
    }
    let client = Client::new(ClientOptions {
        url: args.url.clone(),
        token: Token::from_file(&args.token_file)?,
        ca_file: args.ca_file.clone(),
        timeout: Duration::from_secs(args.timeout.max(1)),
    })?;
    let plan = ptr_audit_netbox::import(&client, &options)?;
    let rendered = ptr_audit_netbox::render(&plan, &client.base_url(), &provider, into.as_ref())?;

    let mut err = anstream::stderr().lock();
    let s = &plan.skipped;
    writeln!(
        err,
        "netbox: {} prefixes → {} blocks ({} containers, {} with prefixes inside, {} of other VRFs, {} of other tenants skipped; {} in datacenter `{}` for want of a site)",
        plan.prefixes_read,
        plan.blocks.len(),
        s.containers,
        s.parents,
        s.other_vrf,
        s.other_tenant,
        s.placed_by_default,
        terminal(&options.default_datacenter),
    )?;
    writeln!(
        err,
        "netbox: {} IP addresses → {} assignments ({} dhcp/slaac, {} without dns_name, {} outside the blocks, {} with an unusable dns_name skipped)",
        plan.addresses_read,
        plan.assignments.len(),
        s.dynamic,
        s.nameless,
        s.outside,
        s.unusable.len(),
    )?;
    for (ip, id, name) in &s.unusable {
        writeln!(
            err,
            "netbox: skipped {ip} (IP address id {id}): dns_name `{}` is not a usable host name",
            terminal(name)
        )?;
    }
    if rendered.comments_lost {
        writeln!(
            err,
            "note: the comments of `{}` are not carried over (the header comment is written anew)",
            args.into
                .as_deref()
                .unwrap_or_else(|| "-".as_ref())
                .display()
        )?;
    }
    for dc in &rendered.dropped_datacenters {
        writeln!(
            err,
            "note: datacenter `{}` has no block in NetBox any more: dropped with its keys",
            terminal(dc)
        )?;
    }

    // The import must pass the validator it is written for.
    let name = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("<import>.yaml"));
    let loaded = ptr_audit_inventory::load_texts(vec![(name, rendered.text.clone())]);
    super::print_diagnostics(&loaded.diagnostics, false)?;
    if loaded.has_errors() {
        writeln!(
            err,
            "the imported inventory does not validate: nothing written"
        )?;
        return Ok(ExitCode::BadInput);
    }

    if let Some(committed) = &args.check {
        let Some(old) = super::load_inventory(std::slice::from_ref(committed))? else {
            return Ok(ExitCode::BadInput);
        };
        let changes = ptr_audit_inventory::drift(&old, &loaded.inventory);
        drop(err);
        let mut text = String::new();
        for c in &changes {
            text.push_str(&terminal(&change_line(c)));
            text.push('\n');
        }
        if changes.is_empty() {
            eprintln!("netbox and `{}` agree", terminal(committed));
            return Ok(ExitCode::Clean);
        }
        text.push_str(&format!(
            "{} difference(s) between `{}` and NetBox: import again to update it\n",
            changes.len(),
            terminal(committed)
        ));
        crate::output::write_stdout(text.as_bytes())?;
        return Ok(ExitCode::Findings);
    }
    drop(err);
    match &args.output {
        None => crate::output::write_stdout(rendered.text.as_bytes()),
        Some(path) => {
            let mut outputs = Outputs::default();
            let mut out = outputs.open(path)?;
            out.write_all(rendered.text.as_bytes())
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            drop(out);
            outputs.commit()?;
            Ok(ExitCode::Clean)
        }
    }
}

/// One line of `--check`'s drift: `+`, `-` or `~`, what, and how.
fn change_line(c: &Change) -> String {
    match c {
        Change::BlockAdded {
            cidr,
            datacenter,
            policy,
        } => format!(
            "+ block {cidr} (datacenter {datacenter}, policy {})",
            policy.as_str()
        ),
        Change::BlockRemoved {
            cidr,
            datacenter,
            policy,
        } => format!(
            "- block {cidr} (datacenter {datacenter}, policy {})",
            policy.as_str()
        ),
        Change::BlockChanged {
            cidr,
            datacenter,
            policy,
        } => {
            let mut parts = Vec::new();
            if datacenter.0 != datacenter.1 {
                parts.push(format!("datacenter {} -> {}", datacenter.0, datacenter.1));
            }
            if policy.0 != policy.1 {
                parts.push(format!(
                    "policy {} -> {}",
                    policy.0.as_str(),
                    policy.1.as_str()
                ));
            }
            format!("~ block {cidr}: {}", parts.join(", "))
        }
        Change::AssignmentAdded { ip, ptr } => format!("+ assignment {ip} {ptr}"),
        Change::AssignmentRemoved { ip, ptr } => format!("- assignment {ip} {ptr}"),
        Change::AssignmentChanged { ip, ptr } => {
            format!("~ assignment {ip}: ptr {} -> {}", ptr.0, ptr.1)
        }
        _ => format!("{c:?}"),
    }
}
