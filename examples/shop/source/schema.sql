-- The Aurora PostgreSQL source of the shop example. Every table has a primary key, which zero-ETL
-- needs to replicate it (tables without one go to the Failed state).
CREATE TABLE public.customers (
  customer_id  BIGINT PRIMARY KEY,
  email        VARCHAR(256) NOT NULL,
  full_name    VARCHAR(128) NOT NULL,
  region       VARCHAR(32)  NOT NULL,
  segment      VARCHAR(16)  NOT NULL,
  created_at   TIMESTAMP    NOT NULL,
  updated_at   TIMESTAMP    NOT NULL
);

CREATE TABLE public.products (
  product_id   BIGINT PRIMARY KEY,
  sku          VARCHAR(32)   NOT NULL,
  name         VARCHAR(128)  NOT NULL,
  category     VARCHAR(32)   NOT NULL,
  unit_price   NUMERIC(12,2) NOT NULL,
  active       BOOLEAN       NOT NULL,
  updated_at   TIMESTAMP     NOT NULL
);

CREATE TABLE public.orders (
  order_id     BIGINT PRIMARY KEY,
  customer_id  BIGINT      NOT NULL REFERENCES public.customers (customer_id),
  status       VARCHAR(16) NOT NULL,
  created_at   TIMESTAMP   NOT NULL,
  updated_at   TIMESTAMP   NOT NULL
);

CREATE TABLE public.order_items (
  order_id     BIGINT        NOT NULL REFERENCES public.orders (order_id),
  line_no      INTEGER       NOT NULL,
  product_id   BIGINT        NOT NULL REFERENCES public.products (product_id),
  quantity     INTEGER       NOT NULL,
  unit_price   NUMERIC(12,2) NOT NULL,
  PRIMARY KEY (order_id, line_no)
);

CREATE TABLE public.payments (
  payment_id   BIGINT PRIMARY KEY,
  order_id     BIGINT        NOT NULL REFERENCES public.orders (order_id),
  method       VARCHAR(16)   NOT NULL,
  amount       NUMERIC(12,2) NOT NULL,
  status       VARCHAR(16)   NOT NULL,
  paid_at      TIMESTAMP     NOT NULL,
  updated_at   TIMESTAMP     NOT NULL
);

CREATE TABLE public.shipments (
  shipment_id  BIGINT PRIMARY KEY,
  order_id     BIGINT      NOT NULL REFERENCES public.orders (order_id),
  carrier      VARCHAR(32) NOT NULL,
  shipped_at   TIMESTAMP   NOT NULL,
  delivered_at TIMESTAMP
);
