-- Star schema (sample): one fact table of messages, two dimensions.
CREATE TABLE dim_conversations (
  conversation_id TEXT PRIMARY KEY,
  outcome TEXT NOT NULL,
  end_reason TEXT NOT NULL,
  rounds INTEGER NOT NULL
);
CREATE TABLE dim_items (
  item_id TEXT PRIMARY KEY,
  image TEXT
);
CREATE TABLE fact_messages (
  conversation_id TEXT NOT NULL REFERENCES dim_conversations(conversation_id),
  turn INTEGER NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  item_id TEXT REFERENCES dim_items(item_id),
  latency_ms INTEGER,
  PRIMARY KEY (conversation_id, turn)
);
