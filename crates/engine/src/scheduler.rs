//! Interleaved decoding: one worker thread owns the weights and steps every sequence in flight
//! in turn, one token each (prompts in chunks), so a second request does not wait for the
//! first one's long answer. Each sequence has its own KV cache (an instance from the pool); a
//! sequence whose receiver is gone (the client left) is dropped at its next step.

use std::collections::VecDeque;
use std::sync::mpsc;

use candle_transformers::generation::{LogitsProcessor, Sampling};
use tokenizers::Tokenizer;
use tokio::sync::mpsc::UnboundedSender;

use crate::text::{Decoder, Finish};
use crate::weights::{Pool, Weights};

/// Prompt tokens fed in one step (a long prompt does not hold the others up for long).
const PREFILL_CHUNK: usize = 128;

/// How to sample.
#[derive(Debug, Clone)]
pub struct Params {
    /// Tokens to generate at most.
    pub max_tokens: usize,
    /// 0 = greedy.
    pub temperature: f64,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k sampling.
    pub top_k: Option<usize>,
    /// Seed of the sampler.
    pub seed: u64,
    /// Stop strings.
    pub stops: Vec<String>,
}

impl Params {
    fn sampling(&self) -> Sampling {
        let temperature = self.temperature;
        if temperature <= 0.0 {
            return Sampling::ArgMax;
        }
        match (self.top_k, self.top_p) {
            (Some(k), Some(p)) => Sampling::TopKThenTopP { k, p, temperature },
            (Some(k), None) => Sampling::TopK { k, temperature },
            (None, Some(p)) => Sampling::TopP { p, temperature },
            (None, None) => Sampling::All { temperature },
        }
    }
}

/// What a sequence sends back.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// More text.
    Text(String),
    /// The end, with exact token counts.
    Done {
        /// Why it ended.
        finish: Finish,
        /// Tokens of the prompt.
        prompt_tokens: usize,
        /// Tokens generated.
        completion_tokens: usize,
    },
    /// It could not go on.
    Failed(String),
}

/// A request for a completion of `prompt`.
pub struct Job {
    /// The prompt's tokens.
    pub prompt: Vec<u32>,
    /// Sampling.
    pub params: Params,
    /// Where the events go.
    pub events: UnboundedSender<Event>,
}

/// The handle the server submits jobs through.
#[derive(Clone)]
pub struct Scheduler {
    jobs: mpsc::Sender<Job>,
}

impl Scheduler {
    /// Starts the worker thread with at most `parallel` sequences in flight.
    pub fn start(pool: Pool, tokenizer: Tokenizer, eos: Vec<u32>, parallel: usize) -> Self {
        let (jobs, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("engine-worker".into())
            .spawn(move || {
                Worker {
                    pool,
                    tokenizer,
                    eos,
                    parallel: parallel.max(1),
                }
                .run(&rx)
            })
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start the engine worker"));
        Self { jobs }
    }

    /// Queues a job; its events arrive on its channel.
    pub fn submit(&self, job: Job) -> Result<(), String> {
        self.jobs
            .send(job)
            .map_err(|_| "the engine worker has stopped".to_owned())
    }
}

struct Active {
    weights: Weights,
    job: Job,
    /// Tokens already in the cache.
    position: usize,
    /// Tokens to feed next (the rest of the prompt, or the last sampled token).
    pending: VecDeque<u32>,
    prefilling: bool,
    generated: usize,
    sampler: LogitsProcessor,
    decoder: Decoder,
}

struct Worker {
    pool: Pool,
    tokenizer: Tokenizer,
    eos: Vec<u32>,
    parallel: usize,
}

impl Worker {
    fn run(mut self, rx: &mpsc::Receiver<Job>) {
        let mut queue: VecDeque<Job> = VecDeque::new();
        let mut active: Vec<Active> = Vec::new();
        loop {
            if active.is_empty() && queue.is_empty() {
                match rx.recv() {
                    Ok(job) => queue.push_back(job),
                    Err(_) => return,
                }
            }
            queue.extend(rx.try_iter());
            while active.len() < self.parallel {
                let Some(job) = queue.pop_front() else { break };
                if job.events.is_closed() {
                    continue;
                }
                match self.pool.take() {
                    Ok(weights) => active.push(Active {
                        sampler: LogitsProcessor::from_sampling(
                            job.params.seed,
                            job.params.sampling(),
                        ),
                        decoder: Decoder::new(job.params.stops.clone()),
                        pending: job.prompt.iter().copied().collect(),
                        prefilling: true,
                        position: 0,
                        generated: 0,
                        weights,
                        job,
                    }),
                    Err(e) => {
                        let _ = job.events.send(Event::Failed(e.to_string()));
                    }
                }
            }
            let mut i = 0;
            while i < active.len() {
                if self.step(&mut active[i]) {
                    i += 1;
                } else {
                    let done = active.swap_remove(i);
                    self.pool.give(done.weights);
                }
            }
        }
    }

    /// One step of a sequence; `false` once it has ended.
    fn step(&self, a: &mut Active) -> bool {
        if a.job.events.is_closed() {
            return false;
        }
        let take = if a.prefilling { PREFILL_CHUNK } else { 1 };
        let chunk: Vec<u32> = (0..take).map_while(|_| a.pending.pop_front()).collect();
        let logits = match a.weights.forward(&chunk, a.position) {
            Ok(l) => l,
            Err(e) => return self.end_with(a, Event::Failed(format!("inference failed: {e}"))),
        };
        a.position += chunk.len();
        if a.prefilling && !a.pending.is_empty() {
            return true;
        }
        a.prefilling = false;
        let token = match a.sampler.sample(&logits) {
            Ok(t) => t,
            Err(e) => return self.end_with(a, Event::Failed(format!("sampling failed: {e}"))),
        };
        if self.eos.contains(&token) {
            return self.finish(a, Finish::Stop, true);
        }
        a.generated += 1;
        let (text, stopped) = a.decoder.push(&self.tokenizer, token);
        if !text.is_empty() && a.job.events.send(Event::Text(text)).is_err() {
            return false;
        }
        if stopped {
            return self.finish(a, Finish::Stop, false);
        }
        if a.generated >= a.job.params.max_tokens {
            return self.finish(a, Finish::Length, true);
        }
        a.pending.push_back(token);
        true
    }

    /// Ends a sequence; `flush` sends what the decoder held back (it was no stop string).
    fn finish(&self, a: &mut Active, finish: Finish, flush: bool) -> bool {
        if flush {
            let rest = a.decoder.flush();
            if !rest.is_empty() {
                let _ = a.job.events.send(Event::Text(rest));
            }
        }
        self.end_with(
            a,
            Event::Done {
                finish,
                prompt_tokens: a.job.prompt.len(),
                completion_tokens: a.generated,
            },
        )
    }

    fn end_with(&self, a: &mut Active, event: Event) -> bool {
        let _ = a.job.events.send(event);
        false
    }
}
