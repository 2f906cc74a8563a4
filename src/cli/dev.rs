//! Developer tools: `musegen dev fake-llm`, the fake OpenAI- and Anthropic-compatible server.

use clap::Subcommand;

use crate::Result;

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Serve the fake OpenAI-compatible chat server on 127.0.0.1 until interrupted (for trying LLM configs offline).
    FakeLlm {
        /// Port (0: any free port).
        #[arg(long, default_value_t = 8089)]
        port: u16,
        /// Median latency in milliseconds.
        #[arg(long, default_value_t = 300.0)]
        latency_ms: f64,
        /// Requests per minute to enforce (sliding minute, OpenAI-shaped 429s).
        #[arg(long)]
        rpm: Option<u32>,
        /// Tokens per minute to enforce.
        #[arg(long)]
        tpm: Option<u64>,
        /// Share of requests given a fault (500, 503, reset, hang, malformed, empty, length), spread evenly.
        #[arg(long, default_value_t = 0.0)]
        fault_rate: f64,
        /// Bearer key to require (any key when absent).
        #[arg(long)]
        api_key: Option<String>,
        /// Share of JSON-schema yes/no answers that say no (a plausibility gate or judge refusing).
        #[arg(long, default_value_t = 0.0)]
        false_share: f64,
    },
}

/// `musegen dev …`.
pub fn dev(command: &DevCommand) -> Result<()> {
    match command {
        DevCommand::FakeLlm {
            port,
            latency_ms,
            rpm,
            tpm,
            fault_rate,
            api_key,
            false_share,
        } => {
            let cfg = crate::llm::fake::FakeConfig {
                latency_ms: *latency_ms,
                rpm: *rpm,
                tpm: *tpm,
                api_key: api_key.clone(),
                faults: crate::llm::fake::Faults::spread(fault_rate.clamp(0.0, 1.0)),
                false_share: false_share.clamp(0.0, 1.0),
                ..crate::llm::fake::FakeConfig::default()
            };
            let runtime = tokio::runtime::Runtime::new()
                .map_err(|e| crate::Error::Run(format!("cannot start the async runtime: {e}")))?;
            runtime.block_on(async {
                let server = crate::llm::fake::FakeServer::start(cfg, *port)
                    .await
                    .map_err(|e| {
                        crate::Error::Run(format!("cannot listen on 127.0.0.1:{port}: {e}"))
                    })?;
                println!(
                    "fake LLM server at {} (OPENAI_BASE_URL); Ctrl-C to stop",
                    server.base_url()
                );
                std::future::pending::<()>().await;
                Ok::<(), crate::Error>(())
            })
        }
    }
}
