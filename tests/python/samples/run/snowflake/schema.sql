-- Snowflake schema (sample): the item dimension normalised into a category tree and brands.
CREATE TABLE dim_category (
  category_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  parent_id INTEGER REFERENCES dim_category(category_id)
);
CREATE TABLE dim_brand (
  brand_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE dim_item (
  item_id TEXT PRIMARY KEY,
  category_id INTEGER NOT NULL REFERENCES dim_category(category_id),
  brand_id INTEGER REFERENCES dim_brand(brand_id),
  price REAL
);
CREATE TABLE dim_conversation (
  conversation_id TEXT PRIMARY KEY,
  outcome TEXT NOT NULL
);
CREATE TABLE fact_recommendation (
  conversation_id TEXT NOT NULL REFERENCES dim_conversation(conversation_id),
  turn INTEGER NOT NULL,
  item_id TEXT NOT NULL REFERENCES dim_item(item_id),
  accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
  PRIMARY KEY (conversation_id, turn, item_id)
);
