"""The shared store: sites, services, exact places, routes, history, proposals, members.

Who may read and change what is decided here, by the database (row-level security), not by
Python: every user is a PostgreSQL role, member of `atlas_member`; `atlas.members` says which
role (viewer, editor, coordinator, admin) a user has at which site, and for an editor which
organisation. The policies read it:

- everyone granted at a site reads its sites, services (public records), routes, history and
  proposals;
- an editor changes only services (and routes from services) of their organisation; a
  coordinator or admin changes the whole site; a viewer changes nothing;
- the exact place of a confidential service (`atlas.exact_places`) is read only by the site's
  coordinators and admins and by editors of the organisation that runs it; `atlas.services`
  holds its public place only, so a viewer who selects everything finds no exact coordinate;
- a history row is written only under the writer's own name (`current_user`), about a service
  they may change; a proposal only under the proposer's own name;
- only editors, coordinators and admins hold write privileges at all (`atlas_writer`): a viewer
  cannot lock a table for everyone else.

The table owner (who runs `pathways db init/import/grant`) is not bound by the policies.

Records are `json`, not `jsonb`: kept as written, keys in their order (a text given per language
lists its languages as the inventory does, and exports follow that order).

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MEMBER = "atlas_member"
"""Every user: reads what the policies let them read, proposes changes."""
WRITER = "atlas_writer"
"""Editors, coordinators and admins (given by `pathways db grant`): may write at all, where the
policies let them. A viewer holds no write privilege, so cannot even lock a table."""

# A user's memberships, read by the policies (a subquery: planned once, not per row).
_AT_SITE = "(SELECT m.site FROM atlas.members m WHERE m.username = current_user)"


def _runs(table: str, organisation: str) -> str:
    """A policy condition: the current user may change this row of `table` (a coordinator or
    admin of its site, or an editor of the organisation `organisation` names)."""
    return (
        f"EXISTS (SELECT 1 FROM atlas.members m WHERE m.site = {table}.site "
        "AND m.username = current_user AND (m.role IN ('coordinator', 'admin') "
        f"OR (m.role = 'editor' AND m.organisation = {organisation})))"
    )


# The organisation that runs a route's source service (an editor changes routes from theirs).
_SOURCE_ORG = (
    "(SELECT s.organisation FROM atlas.services s "
    "WHERE s.site = referrals.site AND s.id = referrals.source)"
)

# The organisation that runs a history row's service (a change is recorded by who may make it).
_SERVICE_ORG = (
    "(SELECT s.organisation FROM atlas.services s "
    "WHERE s.site = history.site AND s.id = history.service)"
)

_TABLES = """
CREATE TABLE atlas.sites (
    id text PRIMARY KEY,
    record json NOT NULL,
    boundary geometry(MultiPolygon, 4326),
    revision bigint NOT NULL DEFAULT 1,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sites_boundary_gist ON atlas.sites USING gist (boundary);

CREATE TABLE atlas.site_files (
    site text NOT NULL REFERENCES atlas.sites ON DELETE CASCADE,
    path text NOT NULL,
    content bytea NOT NULL,
    PRIMARY KEY (site, path)
);

CREATE TABLE atlas.services (
    site text NOT NULL REFERENCES atlas.sites ON DELETE CASCADE,
    id text NOT NULL,
    position double precision NOT NULL,
    organisation text,
    confidential boolean NOT NULL DEFAULT false,
    record json NOT NULL,
    version text NOT NULL,
    place geography(Point, 4326) NOT NULL,
    PRIMARY KEY (site, id)
);
CREATE INDEX services_place_gist ON atlas.services USING gist (place);
CREATE INDEX services_site_position ON atlas.services (site, position);

CREATE TABLE atlas.exact_places (
    site text NOT NULL,
    service text NOT NULL,
    organisation text,
    location json NOT NULL,
    intake json,
    place geography(Point, 4326) NOT NULL,
    PRIMARY KEY (site, service),
    FOREIGN KEY (site, service) REFERENCES atlas.services ON DELETE CASCADE
);
CREATE INDEX exact_places_place_gist ON atlas.exact_places USING gist (place);

CREATE TABLE atlas.referrals (
    site text NOT NULL REFERENCES atlas.sites ON DELETE CASCADE,
    source text NOT NULL,
    target text NOT NULL,
    position double precision NOT NULL,
    record json NOT NULL,
    PRIMARY KEY (site, source, target)
);

CREATE TABLE atlas.history (
    id bigserial PRIMARY KEY,
    site text NOT NULL REFERENCES atlas.sites ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    username text NOT NULL DEFAULT current_user,
    action text NOT NULL,
    service text,
    fields json NOT NULL DEFAULT '[]',
    reason text,
    version text,
    referral text[]
);
CREATE INDEX history_site_service ON atlas.history (site, service, id);
CREATE INDEX history_site_id ON atlas.history (site, id);

CREATE TABLE atlas.proposals (
    site text NOT NULL REFERENCES atlas.sites ON DELETE CASCADE,
    id text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    username text NOT NULL DEFAULT current_user,
    service text NOT NULL,
    changes json NOT NULL,
    base text NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'rejected')),
    decided_by text,
    decided_at timestamptz,
    note text,
    PRIMARY KEY (site, id)
);

CREATE TABLE atlas.members (
    site text NOT NULL REFERENCES atlas.sites ON DELETE CASCADE,
    username text NOT NULL,
    role text NOT NULL CHECK (role IN ('viewer', 'editor', 'coordinator', 'admin')),
    organisation text,
    CHECK (role <> 'editor' OR organisation IS NOT NULL),
    PRIMARY KEY (site, username)
);
CREATE INDEX members_username ON atlas.members (username);
"""

_PRIVILEGES = f"""
GRANT USAGE ON SCHEMA atlas TO {MEMBER};
GRANT SELECT ON atlas.sites, atlas.site_files, atlas.services, atlas.exact_places,
    atlas.referrals, atlas.history, atlas.proposals, atlas.members TO {MEMBER};
GRANT INSERT ON atlas.proposals TO {MEMBER};
GRANT USAGE ON SCHEMA atlas TO {WRITER};
GRANT INSERT, UPDATE, DELETE ON atlas.services, atlas.exact_places, atlas.referrals
    TO {WRITER};
GRANT INSERT ON atlas.history TO {WRITER};
GRANT UPDATE (status, decided_by, decided_at, note) ON atlas.proposals TO {WRITER};
GRANT USAGE ON SEQUENCE atlas.history_id_seq TO {WRITER};
"""

_POLICIES = f"""
ALTER TABLE atlas.sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE atlas.site_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE atlas.services ENABLE ROW LEVEL SECURITY;
ALTER TABLE atlas.exact_places ENABLE ROW LEVEL SECURITY;
ALTER TABLE atlas.referrals ENABLE ROW LEVEL SECURITY;
ALTER TABLE atlas.history ENABLE ROW LEVEL SECURITY;
ALTER TABLE atlas.proposals ENABLE ROW LEVEL SECURITY;
ALTER TABLE atlas.members ENABLE ROW LEVEL SECURITY;

CREATE POLICY read ON atlas.sites FOR SELECT TO {MEMBER} USING (id IN {_AT_SITE});
CREATE POLICY read ON atlas.site_files FOR SELECT TO {MEMBER} USING (site IN {_AT_SITE});
CREATE POLICY read ON atlas.services FOR SELECT TO {MEMBER} USING (site IN {_AT_SITE});
CREATE POLICY read ON atlas.referrals FOR SELECT TO {MEMBER} USING (site IN {_AT_SITE});
CREATE POLICY read ON atlas.history FOR SELECT TO {MEMBER} USING (site IN {_AT_SITE});
CREATE POLICY read ON atlas.proposals FOR SELECT TO {MEMBER} USING (site IN {_AT_SITE});
CREATE POLICY own ON atlas.members FOR SELECT TO {MEMBER} USING (username = current_user);

CREATE POLICY change ON atlas.services FOR UPDATE TO {MEMBER}
    USING ({_runs("services", "services.organisation")})
    WITH CHECK ({_runs("services", "services.organisation")});
CREATE POLICY add ON atlas.services FOR INSERT TO {MEMBER}
    WITH CHECK ({_runs("services", "services.organisation")});
CREATE POLICY remove ON atlas.services FOR DELETE TO {MEMBER}
    USING ({_runs("services", "services.organisation")});

CREATE POLICY runs ON atlas.exact_places FOR ALL TO {MEMBER}
    USING ({_runs("exact_places", "exact_places.organisation")})
    WITH CHECK ({_runs("exact_places", "exact_places.organisation")});

CREATE POLICY change ON atlas.referrals FOR ALL TO {MEMBER}
    USING ({_runs("referrals", _SOURCE_ORG)})
    WITH CHECK ({_runs("referrals", _SOURCE_ORG)});

CREATE POLICY write ON atlas.history FOR INSERT TO {MEMBER}
    WITH CHECK (username = current_user AND {_runs("history", _SERVICE_ORG)});

CREATE POLICY propose ON atlas.proposals FOR INSERT TO {MEMBER}
    WITH CHECK (username = current_user AND site IN {_AT_SITE} AND status = 'pending');
CREATE POLICY decide ON atlas.proposals FOR UPDATE TO {MEMBER}
    USING (EXISTS (SELECT 1 FROM atlas.members m WHERE m.site = proposals.site
        AND m.username = current_user AND m.role IN ('coordinator', 'admin')))
    WITH CHECK (decided_by = current_user);
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for role in (MEMBER, WRITER):
        op.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
            f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
    op.execute(_TABLES)
    op.execute(_PRIVILEGES)
    op.execute(_POLICIES)


def downgrade() -> None:
    for table in (
        "members",
        "proposals",
        "history",
        "referrals",
        "exact_places",
        "services",
        "site_files",
        "sites",
    ):
        op.execute(f"DROP TABLE IF EXISTS atlas.{table}")
