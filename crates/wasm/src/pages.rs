//! The user list for JavaScript's async iterator: one page a call, the
//! core's [`Paginator`] deciding which.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::SystemTime;

use cloudmqtt_api::{Call, Input, Machine, Output, Paginator};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::erased::Erased;
use crate::{Step, WasmClient, driver};

/// A walk over the user list: each call to [`next`](WasmUserPages::next)
/// fetches one page and resolves to the users not seen before, or to `null`
/// when the walk is over.
#[wasm_bindgen]
pub struct WasmUserPages {
    pub(crate) client: WasmClient,
    pub(crate) pages: Rc<RefCell<Paginator>>,
}

#[wasm_bindgen]
impl WasmUserPages {
    /// Fetches the next page (with `{ signal?, timeoutMs? }`). Resolves to
    /// an array of new users, or `null` when there are no more pages.
    pub fn next(&self, options: JsValue) -> Promise {
        let inner = &self.client.inner;
        let plan = inner.call_options(options).map(|(options, _)| {
            let request = self.pages.borrow().next_request();
            let machine: Box<dyn Machine<Value = JsValue>> = match request {
                Some(request) => Box::new(Call::new(
                    &inner.config,
                    Erased::user_page(request, Rc::clone(&self.pages)),
                    options.policy,
                    driver::seed(),
                )),
                None => Box::new(Finished),
            };
            Step {
                machine,
                signals: options.signal.into_iter().collect(),
            }
        });
        self.client.start(plan)
    }
}

/// A walk that is over: resolves to `null` at once.
struct Finished;

impl Machine for Finished {
    type Value = JsValue;

    fn poll_output(&mut self, _now: SystemTime) -> Output<JsValue> {
        Output::Done(Ok(JsValue::NULL))
    }

    fn handle_input(&mut self, _input: Input, _now: SystemTime) {}
}
