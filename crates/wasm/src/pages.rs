//! The user list for JavaScript's async iterator: one task for the whole
//! walk, the core's [`Paginator`] deciding the pages.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::SystemTime;

use cloudmqtt_api::{Call, Input, Machine, Output, Paginator, RetryPolicy, Ticket};

use crate::Inner;
use crate::clock;
use crate::convert::Value;
use crate::erased::Erased;

/// A walk over the user list. Unlike the core's machines it ends more than
/// once: each page ends with the users not seen before (a `D` step), and
/// stepping on fetches the next page, until the walk ends with `null` (an
/// `N` step). A page that fails ends with its error (`E`); stepping on
/// fetches that page again.
pub(crate) struct Walk {
    inner: Rc<Inner>,
    policy: RetryPolicy,
    pages: Rc<RefCell<Paginator>>,
    /// The page being fetched.
    page: Option<Call<Erased>>,
}

impl Walk {
    /// A walk with `pages`, each page's call with `policy`.
    pub(crate) fn new(inner: Rc<Inner>, pages: Paginator, policy: RetryPolicy) -> Self {
        Self {
            inner,
            policy,
            pages: Rc::new(RefCell::new(pages)),
            page: None,
        }
    }
}

impl Machine for Walk {
    type Value = Value;

    fn poll_output(&mut self, now: SystemTime) -> Output<Value> {
        let page = match &mut self.page {
            Some(page) => page,
            None => {
                let Some(request) = self.pages.borrow().next_request() else {
                    return Output::Done(Ok(Value::Null));
                };
                let op = Erased::user_page(request, Rc::clone(&self.pages));
                let call = Call::new(&self.inner.config, op, self.policy, clock::seed());
                self.page.insert(call)
            }
        };
        let output = page.poll_output(now);
        if matches!(output, Output::Done(_)) {
            self.page = None;
        }
        output
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        if let Some(page) = &mut self.page {
            page.handle_input(ticket, input, now);
        }
    }
}
