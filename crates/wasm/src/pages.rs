//! The user list for JavaScript's async iterator: one page a call, the
//! core's [`Paginator`] deciding which.

use std::cell::RefCell;
use std::rc::Rc;

use cloudmqtt_api::Paginator;
use wasm_bindgen::prelude::*;

use crate::Inner;
use crate::convert::Value;
use crate::erased::Erased;
use crate::task::{BoxedMachine, Finished, Task};

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
        let request = self.pages.borrow().next_request();
        let prepared = match request {
            Some(request) => inner.single(
                Ok(Erased::user_page(request, Rc::clone(&self.pages))),
                options,
            ),
            None => inner.call_options(options).map(|(options, _)| {
                let finished: BoxedMachine = Box::new(Finished(Ok(Value::Null)));
                (finished, options.signal.into_iter().collect())
            }),
        };
        Task::new(Rc::clone(inner), prepared)
    }
}
