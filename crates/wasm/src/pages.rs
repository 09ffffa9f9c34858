//! The user list for JavaScript's async iterator: one page a call, the
//! core's [`Paginator`] deciding which.

use std::cell::RefCell;
use std::rc::Rc;

use cloudmqtt_api::{Call, Paginator};
use wasm_bindgen::prelude::*;

use crate::convert::Value;
use crate::erased::Erased;
use crate::task::{Finished, Task};
use crate::{Inner, clock};

/// A walk over the user list: each [`next`](WasmUserPages::next) is a task
/// that fetches one page and ends with the users not seen before, or with
/// `null` when the walk is over.
#[wasm_bindgen]
pub struct WasmUserPages {
    pub(crate) inner: Rc<Inner>,
    pub(crate) pages: Rc<RefCell<Paginator>>,
}

#[wasm_bindgen]
impl WasmUserPages {
    /// The task that fetches the next page (with `{ signal?, timeoutMs? }`).
    pub fn next(&self, options: JsValue) -> Task {
        let inner = &self.inner;
        match inner.call_options(options) {
            Ok((options, _)) => {
                let request = self.pages.borrow().next_request();
                let signals = options.signal.into_iter().collect();
                match request {
                    Some(request) => {
                        let call = Call::new(
                            &inner.config,
                            Erased::user_page(request, Rc::clone(&self.pages)),
                            options.policy,
                            clock::seed(),
                        );
                        Task::new(Rc::clone(inner), Box::new(call), signals)
                    }
                    None => Task::new(
                        Rc::clone(inner),
                        Box::new(Finished(Ok(Value::Null))),
                        signals,
                    ),
                }
            }
            Err(error) => Task::failed(Rc::clone(inner), error),
        }
    }
}
