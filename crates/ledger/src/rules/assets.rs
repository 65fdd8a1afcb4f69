//! The asset registry: classes, unique assets, their owners and values.
//!
//! One real asset, one registration: an asset's identity is a commitment to its real-world
//! identifier (a VIN, a parcel number), keyed with a secret the registrars of its kind share
//! off the ledger, and an index by identity refuses a second registration whichever class or
//! registrar tries. Only the registrar that registered an asset, or one its owner appointed,
//! revalues it.

use super::expect_object;
use crate::{
    auth::Actor,
    exec::{Exec, RuleResult, ensure},
    state::StateRead,
};
use credence_types::{
    AssetClassId, AssetId, Rejection,
    lending::{
        AppointAppraiser, Asset, AssetClass, DefineAssetClass, Denomination, Owner, RegisterAsset,
        RevalueAsset, TransferAsset, Valuation,
    },
    receipt::Event,
    state::{Institution, OwnerCode, StateKey, Subject},
};

/// The owner a transaction's signer acts as.
pub(crate) fn signer_owner(actor: &Actor) -> Option<Owner> {
    match actor {
        Actor::Subject(subject) => Some(Owner::Subject(subject.id)),
        Actor::Institution(institution) => Some(Owner::Institution(institution.id)),
        Actor::NewKey(_) => None,
    }
}

/// The key code of an owner, which must exist.
pub(crate) fn owner_code<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    owner: &Owner,
) -> RuleResult<OwnerCode> {
    match owner {
        Owner::Subject(id) => {
            let subject: Subject = exec.require(&StateKey::subject(id), Rejection::OwnerUnknown)?;
            Ok(OwnerCode::subject(subject.number))
        }
        Owner::Institution(id) => {
            ensure(
                exec.exists(&StateKey::institution(*id))?,
                Rejection::OwnerUnknown,
            )?;
            Ok(OwnerCode::institution(*id))
        }
    }
}

/// Checks a denomination names an existing currency if it is on the ledger.
pub(crate) fn check_denomination<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    denomination: &Denomination,
) -> RuleResult {
    if let Denomination::OnLedger(currency) = denomination {
        ensure(
            exec.exists(&StateKey::currency(*currency))?,
            Rejection::CurrencyUnknown,
        )?;
    }
    Ok(())
}

/// Appends `asset` to `owner`'s asset listing and returns its position.
fn list_asset<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    owner: &Owner,
    asset: AssetId,
) -> RuleResult<u32> {
    let (code, sequence) = match owner {
        Owner::Subject(id) => {
            let mut subject: Subject = expect_object(exec, StateKey::subject(id))?;
            let sequence = subject.listings.assets;
            subject.listings.assets = sequence.checked_add(1).ok_or(Rejection::IdsExhausted)?;
            exec.store(StateKey::subject(id), &subject);
            (OwnerCode::subject(subject.number), sequence)
        }
        Owner::Institution(id) => {
            let mut institution: Institution = expect_object(exec, StateKey::institution(*id))?;
            let sequence = institution.listings.assets;
            institution.listings.assets = sequence.checked_add(1).ok_or(Rejection::IdsExhausted)?;
            exec.store(StateKey::institution(*id), &institution);
            (OwnerCode::institution(*id), sequence)
        }
    };
    exec.store(StateKey::owner_asset(code, sequence), &asset);
    Ok(sequence)
}

/// Moves an asset to a new owner: off the old owner's listing, onto the new one's. Locks
/// are the caller's to check or clear.
pub(crate) fn change_owner<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    asset: &mut Asset,
    to: Owner,
) -> RuleResult {
    let from = asset.owner;
    let from_code = owner_code(exec, &from)?;
    owner_code(exec, &to)?;
    exec.remove(StateKey::owner_asset(from_code, asset.listing));
    asset.listing = list_asset(exec, &to, asset.id)?;
    asset.owner = to;
    exec.store(StateKey::asset(asset.id), &*asset);
    exec.emit(Event::AssetTransferred {
        asset: asset.id,
        from,
        to,
    });
    Ok(())
}

/// A registrar defines an asset class.
pub(crate) fn define_class<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    registrar: &Institution,
    body: &DefineAssetClass,
) -> RuleResult {
    let id = exec.next_id(|c| &mut c.asset_class, AssetClassId::next)?;
    exec.store(
        StateKey::asset_class(id),
        &AssetClass {
            id,
            registrar: registrar.id,
            name: body.name.clone(),
            schema: body.schema,
        },
    );
    exec.emit(Event::AssetClassDefined {
        class: id,
        registrar: registrar.id,
    });
    Ok(())
}

/// A registrar registers an asset for its owner.
pub(crate) fn register<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    registrar: &Institution,
    body: &RegisterAsset,
) -> RuleResult {
    ensure(
        exec.exists(&StateKey::asset_class(body.class))?,
        Rejection::AssetClassUnknown,
    )?;
    owner_code(exec, &body.owner)?;
    check_denomination(exec, &body.denomination)?;
    let identity = StateKey::asset_identity(&body.identity);
    ensure(!exec.exists(&identity)?, Rejection::AssetAlreadyRegistered)?;
    let id = exec.next_id(|c| &mut c.asset, AssetId::next)?;
    exec.store(identity, &id);
    let listing = list_asset(exec, &body.owner, id)?;
    let at = exec.now();
    exec.store(
        StateKey::asset(id),
        &Asset {
            id,
            class: body.class,
            owner: body.owner,
            identity: body.identity,
            registrar: registrar.id,
            appraiser: None,
            valuation: Valuation {
                value: body.value,
                denomination: body.denomination.clone(),
                at,
                registrar: registrar.id,
            },
            lock: None,
            liquidation: None,
            listing,
            loans: 0,
        },
    );
    exec.emit(Event::AssetRegistered {
        asset: id,
        owner: body.owner,
        registrar: registrar.id,
    });
    Ok(())
}

/// A registrar attests an asset's new value.
pub(crate) fn revalue<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    registrar: &Institution,
    body: &RevalueAsset,
) -> RuleResult {
    let mut asset: Asset = exec.require(&StateKey::asset(body.asset), Rejection::AssetUnknown)?;
    ensure(
        asset.registrar == registrar.id || asset.appraiser == Some(registrar.id),
        Rejection::NotAssetRegistrar,
    )?;
    check_denomination(exec, &body.denomination)?;
    asset.valuation = Valuation {
        value: body.value,
        denomination: body.denomination.clone(),
        at: exec.now(),
        registrar: registrar.id,
    };
    exec.store(StateKey::asset(asset.id), &asset);
    exec.emit(Event::AssetRevalued {
        asset: asset.id,
        value: body.value,
    });
    Ok(())
}

/// An asset's owner appoints a registrar that may revalue it, besides the one that registered
/// it (or clears the appointment). A pledged asset keeps its appraiser: a borrower cannot
/// bring in a friendlier valuer once its loan stands on the value.
pub(crate) fn appoint_appraiser<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    actor: &Actor,
    body: &AppointAppraiser,
) -> RuleResult {
    let mut asset = owned_and_unpledged(exec, actor, body.asset)?;
    if let Some(appraiser) = body.appraiser {
        let institution: Institution = exec.require(
            &StateKey::institution(appraiser),
            Rejection::AppraiserIneligible,
        )?;
        ensure(
            institution.may_act_as(credence_types::Role::Registrar),
            Rejection::AppraiserIneligible,
        )?;
    }
    asset.appraiser = body.appraiser;
    exec.store(StateKey::asset(asset.id), &asset);
    exec.emit(Event::AppraiserAppointed {
        asset: asset.id,
        owner: asset.owner,
        appraiser: body.appraiser,
    });
    Ok(())
}

/// The asset `id`, if the signer owns it and it is neither pledged nor being liquidated.
fn owned_and_unpledged<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    actor: &Actor,
    id: AssetId,
) -> RuleResult<Asset> {
    let asset: Asset = exec.require(&StateKey::asset(id), Rejection::AssetUnknown)?;
    ensure(
        signer_owner(actor) == Some(asset.owner),
        Rejection::NotAssetOwner,
    )?;
    ensure(
        asset.lock.is_none() && asset.liquidation.is_none(),
        Rejection::AssetLocked,
    )?;
    Ok(asset)
}

/// An owner transfers an unpledged asset.
pub(crate) fn transfer<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    actor: &Actor,
    body: &TransferAsset,
) -> RuleResult {
    let mut asset = owned_and_unpledged(exec, actor, body.asset)?;
    change_owner(exec, &mut asset, body.to)
}
