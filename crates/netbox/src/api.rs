//! The shapes of NetBox's REST API this importer reads, as NetBox's own
//! serializers write them (read in netbox-community/netbox at v4.1.0,
//! v4.2.0 and v4.6.8):
//!
//! - Lists are DRF's limit/offset pages, `{"count", "next", "previous",
//!   "results"}`; `next` is an absolute URL with `limit` and `offset`, or
//!   `null` on the last page (`netbox/api/pagination.py`,
//!   `OptionalLimitOffsetPagination`; `MAX_PAGE_SIZE` caps `limit`, 1000 by
//!   default).
//! - `PrefixSerializer` (`ipam/api/serializers_/ip.py`): `id`, `prefix`
//!   (`"203.0.113.0/24"`), `vrf`, `tenant`, `status` and `role`, `tags`,
//!   `custom_fields`, `description`, `children`, `_depth`, ... Up to 4.1 a
//!   prefix has a nested `site`; from 4.2 on `scope_type` (`"dcim.site"`,
//!   `"dcim.location"`, `"dcim.region"`, `"dcim.sitegroup"` or `null`),
//!   `scope_id` and `scope` (the scope's nested serializer) instead.
//! - `IPAddressSerializer`: `id`, `address` (`"203.0.113.5/24"`, with the
//!   mask), `vrf`, `tenant`, `status`, `dns_name` (`""` when unset), ...
//! - `ChoiceField`s (`status`, `family`) are `{"value", "label"}`.
//! - Nested objects are their serializer's `brief_fields`: a site is `id`,
//!   `url`, `display`, `name`, `description`, `slug`; a region, site group or
//!   location adds `_depth` and a count; a VRF is `id`, `url`, `display`,
//!   `name`, `rd`, `description`, `prefix_count`; tenants and roles have a
//!   `slug`; tags are `id`, `url`, `display_url`, `display`, `name`, `slug`,
//!   `color`.
//! - `SiteSerializer` (full) has a nested `region`; `LocationSerializer` a
//!   nested `site`.
//!
//! Every field this importer does not need is ignored; those it needs are
//! required where NetBox always writes them, so a foreign answer fails with
//! the field's name.

use serde::Deserialize;
use serde_json::{Map, Value};

/// One page of a list.
#[derive(Debug, Deserialize)]
pub(crate) struct Page {
    /// Objects in the whole list.
    pub count: u64,
    /// The next page, or `None` on the last.
    pub next: Option<String>,
    /// This page's objects.
    pub results: Vec<Value>,
}

/// A `ChoiceField`: `{"value": "active", "label": "Active"}`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Choice {
    /// The machine value.
    pub value: String,
}

/// A nested object with a slug (site, region, location, tenant, role, tag).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Nested {
    /// The primary key.
    pub id: u64,
    /// The slug.
    #[serde(default)]
    pub slug: Option<String>,
    /// The name.
    #[serde(default)]
    pub name: String,
}

/// A nested VRF.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Vrf {
    /// The name.
    pub name: String,
    /// The route distinguisher, if any.
    #[serde(default)]
    pub rd: Option<String>,
}

/// A prefix (NetBox 4.1's `site` or 4.2's `scope_type`/`scope`).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Prefix {
    pub id: u64,
    pub prefix: String,
    pub vrf: Option<Vrf>,
    /// Up to NetBox 4.1.
    #[serde(default)]
    pub site: Option<Nested>,
    /// From NetBox 4.2: `dcim.site`, `dcim.location`, `dcim.region`, `dcim.sitegroup`.
    #[serde(default)]
    pub scope_type: Option<String>,
    /// From NetBox 4.2: the scope's nested serializer.
    #[serde(default)]
    pub scope: Option<Nested>,
    pub tenant: Option<Nested>,
    pub status: Choice,
    pub role: Option<Nested>,
    #[serde(default)]
    pub tags: Vec<Nested>,
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    #[serde(default)]
    pub description: String,
}

/// An IP address.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct IpAddress {
    pub id: u64,
    pub address: String,
    pub vrf: Option<Vrf>,
    pub status: Choice,
    #[serde(default)]
    pub dns_name: Option<String>,
}

/// A site (full serializer): its region.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Site {
    pub id: u64,
    pub region: Option<Nested>,
}

/// A location (full serializer): its site.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Location {
    pub id: u64,
    pub site: Nested,
}
