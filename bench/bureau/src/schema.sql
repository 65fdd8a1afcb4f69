-- The bureau's schema: the ledger's objects as tables, its listings as indexes.
--
-- Bytes the ledger keeps are kept here as the same bytes: every signed transaction in its
-- canonical encoding, sealed payloads, wrapped keys, loan terms. Ids of numbered objects
-- come from sequences starting at 0, as the ledger's counters do. Amounts are bigint:
-- an amount beyond 2^63 - 1 is rejected as amount_overflow (the ledger allows up to 2^64 - 1;
-- no workload comes near either).

-- Every transaction that reached a rule, applied or rejected: the append-only journal and
-- the receipts. A (signer, nonce) pair is accepted once.
CREATE TABLE transactions (
    hash bytea PRIMARY KEY,
    signer bytea NOT NULL,
    nonce bigint NOT NULL,
    kind smallint NOT NULL,
    bytes bytea NOT NULL,
    -- NULL when applied, else the rejection's number.
    outcome smallint,
    at_ms bigint NOT NULL,
    UNIQUE (signer, nonce)
);

-- The network: its chain id and the genesis document it started from.
CREATE TABLE network (
    chain_id text NOT NULL,
    genesis bytea NOT NULL
);

CREATE TABLE institutions (
    id bigint PRIMARY KEY,
    name text NOT NULL UNIQUE,
    -- The encoded role flags (one byte).
    roles smallint NOT NULL,
    signing_key bytea NOT NULL,
    encryption_key bytea NOT NULL,
    suspended boolean NOT NULL DEFAULT false
);

CREATE TABLE subjects (
    id bytea PRIMARY KEY,
    signing_key bytea NOT NULL,
    report_key bytea NOT NULL,
    report_key_epoch integer NOT NULL,
    registered_at_ms bigint NOT NULL
);

CREATE TABLE report_key_epochs (
    subject bytea NOT NULL,
    epoch integer NOT NULL,
    report_key bytea NOT NULL,
    audit_key_wrap bytea NOT NULL,
    since_ms bigint NOT NULL,
    PRIMARY KEY (subject, epoch)
);

-- Who each signing key is: exactly one of institution, subject.
CREATE TABLE signers (
    key bytea PRIMARY KEY,
    institution bigint,
    subject bytea
);

CREATE SEQUENCE record_ids MINVALUE 0 START 0;
CREATE TABLE records (
    id bigint PRIMARY KEY,
    furnisher bigint NOT NULL,
    subject bytea NOT NULL,
    account bytea NOT NULL,
    status smallint NOT NULL,
    first_delinquency integer,
    as_of integer NOT NULL,
    report_key_epoch integer NOT NULL,
    -- The encoded sealed payload, as furnished.
    payload bytea NOT NULL,
    commitment bytea NOT NULL,
    supersedes bigint,
    superseded_by bigint,
    deleted boolean NOT NULL DEFAULT false,
    furnished_at_ms bigint NOT NULL
);
CREATE INDEX records_by_subject ON records (subject);
CREATE INDEX records_by_account ON records (furnisher, account);

CREATE SEQUENCE consent_ids MINVALUE 0 START 0;
CREATE TABLE consents (
    id bigint PRIMARY KEY,
    subject bytea NOT NULL,
    lender bigint NOT NULL,
    purpose smallint NOT NULL,
    kind smallint NOT NULL,
    granted_at_ms bigint NOT NULL,
    expires_at_ms bigint NOT NULL,
    revoked_at_ms bigint,
    -- The encoded report keys wrapped for the lender, one per epoch.
    report_keys bytea NOT NULL
);
CREATE INDEX consents_by_subject ON consents (subject);
CREATE INDEX consents_by_lender ON consents (lender);

CREATE SEQUENCE inquiry_ids MINVALUE 0 START 0;
CREATE TABLE inquiries (
    id bigint PRIMARY KEY,
    subject bytea NOT NULL,
    institution bigint NOT NULL,
    consent bigint NOT NULL,
    purpose smallint NOT NULL,
    kind smallint NOT NULL,
    at_ms bigint NOT NULL
);
CREATE INDEX inquiries_by_subject ON inquiries (subject);

CREATE SEQUENCE asset_class_ids MINVALUE 0 START 0;
CREATE TABLE asset_classes (
    id bigint PRIMARY KEY,
    registrar bigint NOT NULL,
    name text NOT NULL,
    schema bytea NOT NULL
);

CREATE SEQUENCE asset_ids MINVALUE 0 START 0;
CREATE TABLE assets (
    id bigint PRIMARY KEY,
    class bigint NOT NULL,
    -- The encoded owner (subject pseudonym or institution id).
    owner bytea NOT NULL,
    identity bytea NOT NULL UNIQUE,
    value bigint NOT NULL,
    -- The encoded denomination of the value.
    denomination bytea NOT NULL,
    registrar bigint NOT NULL,
    valued_at_ms bigint NOT NULL,
    -- The loan it is pledged to, if any: an asset is never pledged twice.
    pledged_to bigint
);
CREATE INDEX assets_by_owner ON assets (owner);

CREATE SEQUENCE currency_ids MINVALUE 0 START 0;
CREATE TABLE currencies (
    id bigint PRIMARY KEY,
    issuer bigint NOT NULL,
    symbol text NOT NULL,
    supply bigint NOT NULL,
    UNIQUE (issuer, symbol)
);

CREATE TABLE balances (
    currency bigint NOT NULL,
    owner bytea NOT NULL,
    available bigint NOT NULL CHECK (available >= 0),
    locked bigint NOT NULL CHECK (locked >= 0),
    PRIMARY KEY (currency, owner)
);

CREATE SEQUENCE loan_ids MINVALUE 0 START 0;
CREATE TABLE loans (
    id bigint PRIMARY KEY,
    lender bigint NOT NULL,
    borrower bytea NOT NULL,
    -- The encoded terms, as offered.
    terms bytea NOT NULL,
    -- 'offered', 'active', 'repaid'.
    status text NOT NULL,
    principal bigint NOT NULL,
    outstanding bigint NOT NULL,
    -- The on-ledger currency, or NULL for an off-ledger denomination.
    currency bigint,
    collateral_assets bigint[] NOT NULL,
    offered_at_ms bigint NOT NULL,
    offer_expires_at_ms bigint NOT NULL,
    accepted_at_ms bigint
);
CREATE INDEX loans_by_lender ON loans (lender);
CREATE INDEX loans_by_borrower ON loans (borrower);
