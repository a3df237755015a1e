//! The browser's IndexedDB as the worker uses it: one object store of strings by key, so the
//! cluster outlives a reload. IndexedDB's callbacks become futures here and nowhere else.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

const DATABASE: &str = "kubeplay";
/// Bump when the layout of what is stored changes; older data is then dropped, not misread.
const VERSION: u32 = 1;
const STORE: &str = "state";

/// Why the browser's storage could not be used; the cluster then lives in memory only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("IndexedDB is not available here")]
    Unavailable,
    #[error("IndexedDB: {0}")]
    Failed(String),
}

impl StorageError {
    fn from_js(value: JsValue) -> Self {
        let text = value
            .dyn_ref::<web_sys::DomException>()
            .map(|e| format!("{}: {}", e.name(), e.message()))
            .or_else(|| value.as_string())
            .unwrap_or_else(|| format!("{value:?}"));
        Self::Failed(text)
    }
}

pub struct Storage {
    db: IdbDatabase,
}

impl Storage {
    /// Opens (and on first use creates) the playground's database.
    pub async fn open() -> Result<Self, StorageError> {
        let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let factory = scope
            .indexed_db()
            .map_err(StorageError::from_js)?
            .ok_or(StorageError::Unavailable)?;
        let request: IdbOpenDbRequest = factory
            .open_with_u32(DATABASE, VERSION)
            .map_err(StorageError::from_js)?;
        let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let Some(target) = event.target() else { return };
            let Ok(request) = target.dyn_into::<IdbRequest>() else { return };
            let Ok(result) = request.result() else { return };
            let db: IdbDatabase = result.unchecked_into();
            if db.object_store_names().contains(STORE) {
                let _ = db.delete_object_store(STORE);
            }
            let _ = db.create_object_store(STORE);
        });
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let db = settled(&request).await;
        request.set_onupgradeneeded(None);
        drop(upgrade);
        Ok(Self {
            db: db?.unchecked_into(),
        })
    }

    /// The string stored under `key`, if any.
    pub async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        let tx = self.transaction(IdbTransactionMode::Readonly)?;
        let store = tx.object_store(STORE).map_err(StorageError::from_js)?;
        let request = store.get(&JsValue::from_str(key)).map_err(StorageError::from_js)?;
        Ok(settled(&request).await?.as_string())
    }

    /// Stores every pair in one transaction, so a reload never sees half of them.
    pub async fn put_all(&self, pairs: &[(&str, &str)]) -> Result<(), StorageError> {
        let tx = self.transaction(IdbTransactionMode::Readwrite)?;
        let store = tx.object_store(STORE).map_err(StorageError::from_js)?;
        for (key, value) in pairs {
            store
                .put_with_key(&JsValue::from_str(value), &JsValue::from_str(key))
                .map_err(StorageError::from_js)?;
        }
        committed(&tx).await
    }

    /// Forgets everything stored (Reset).
    pub async fn clear(&self) -> Result<(), StorageError> {
        let tx = self.transaction(IdbTransactionMode::Readwrite)?;
        let store = tx.object_store(STORE).map_err(StorageError::from_js)?;
        store.clear().map_err(StorageError::from_js)?;
        committed(&tx).await
    }

    fn transaction(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, StorageError> {
        self.db
            .transaction_with_str_and_mode(STORE, mode)
            .map_err(StorageError::from_js)
    }
}

/// The request's result once it succeeds, or its error.
async fn settled(request: &IdbRequest) -> Result<JsValue, StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let done = request.clone();
        let on_success = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call1(&JsValue::NULL, &done.result().unwrap_or(JsValue::UNDEFINED));
        });
        let failed = request.clone();
        let on_error = Closure::once_into_js(move |_: web_sys::Event| {
            let error = failed
                .error()
                .ok()
                .flatten()
                .map_or(JsValue::from_str("request failed"), JsValue::from);
            let _ = reject.call1(&JsValue::NULL, &error);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(StorageError::from_js)
}

/// Waits until the transaction's writes are durable.
async fn committed(tx: &IdbTransaction) -> Result<(), StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let on_complete = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let failed = tx.clone();
        let on_error = Closure::once_into_js(move |_: web_sys::Event| {
            let error = failed
                .error()
                .map_or(JsValue::from_str("transaction failed"), JsValue::from);
            let _ = reject.call1(&JsValue::NULL, &error);
        });
        tx.set_oncomplete(Some(on_complete.unchecked_ref()));
        tx.set_onerror(Some(on_error.unchecked_ref()));
        tx.set_onabort(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await.map(drop).map_err(StorageError::from_js)
}
