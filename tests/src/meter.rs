//! Measures what the store costs a request: the time DynamoDB calls were in flight (overlapping
//! calls counted once) and, when asked, the capacity units DynamoDB reports for them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput},
    delete_item::{DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemInput, GetItemOutput},
    put_item::{PutItemInput, PutItemOutput},
    query::{QueryInput, QueryOutput},
    transact_write_items::{TransactWriteItemsInput, TransactWriteItemsOutput},
    update_item::{UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};

/// What the store cost since the last `take`.
#[derive(Debug, Default, Clone, Copy)]
pub struct StoreCost {
    pub busy: Duration,
    pub read_units: f64,
    pub write_units: f64,
}

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    busy_since: Option<Instant>,
    cost: StoreCost,
}

#[derive(Debug, Default, Clone)]
pub struct StoreMeter {
    state: Arc<Mutex<State>>,
    capacity: Arc<AtomicBool>,
}

impl StoreMeter {
    /// Asks DynamoDB to report capacity units on every request from now on.
    pub fn count_capacity(&self) {
        self.capacity.store(true, Ordering::SeqCst);
    }

    pub fn take(&self) -> StoreCost {
        std::mem::take(&mut self.state.lock().unwrap().cost)
    }
}

fn units(capacity: &ConsumedCapacity, write: bool) -> (f64, f64) {
    let total = capacity.capacity_units().unwrap_or_default();
    match (
        capacity.read_capacity_units(),
        capacity.write_capacity_units(),
    ) {
        (Some(read), Some(write)) => (read, write),
        _ if write => (0.0, total),
        _ => (total, 0.0),
    }
}

impl Intercept for StoreMeter {
    fn name(&self) -> &'static str {
        "StoreMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if !self.capacity.load(Ordering::SeqCst) {
            return Ok(());
        }
        let total = Some(ReturnConsumedCapacity::Total);
        let input = context.input_mut();
        if let Some(i) = input.downcast_mut::<GetItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<PutItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<UpdateItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<DeleteItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<QueryInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<BatchGetItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<BatchWriteItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<TransactWriteItemsInput>() {
            i.return_consumed_capacity = total;
        }
        Ok(())
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut state = self.state.lock().unwrap();
        if state.in_flight == 0 {
            state.busy_since = Some(Instant::now());
        }
        state.in_flight += 1;
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut reported = Vec::new();
        if let Some(Ok(output)) = context.output_or_error() {
            let mut add = |capacity: Option<&ConsumedCapacity>, write| {
                if let Some(capacity) = capacity {
                    reported.push(units(capacity, write));
                }
            };
            if let Some(o) = output.downcast_ref::<GetItemOutput>() {
                add(o.consumed_capacity(), false);
            } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
                add(o.consumed_capacity(), false);
            } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
                o.consumed_capacity()
                    .iter()
                    .for_each(|c| add(Some(c), false));
            } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
                add(o.consumed_capacity(), true);
            } else if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
                add(o.consumed_capacity(), true);
            } else if let Some(o) = output.downcast_ref::<DeleteItemOutput>() {
                add(o.consumed_capacity(), true);
            } else if let Some(o) = output.downcast_ref::<BatchWriteItemOutput>() {
                o.consumed_capacity()
                    .iter()
                    .for_each(|c| add(Some(c), true));
            } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
                o.consumed_capacity()
                    .iter()
                    .for_each(|c| add(Some(c), true));
            }
        }
        let mut state = self.state.lock().unwrap();
        for (read, write) in reported {
            state.cost.read_units += read;
            state.cost.write_units += write;
        }
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0
            && let Some(since) = state.busy_since.take()
        {
            state.cost.busy += since.elapsed();
        }
        Ok(())
    }
}
