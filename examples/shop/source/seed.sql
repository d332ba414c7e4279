-- Deterministic seed data: every value is a function of the row number, so each load of the example
-- produces exactly the same rows (tests compare curated tables against the source with an oracle).
INSERT INTO public.customers
SELECT g,
       'customer' || g || '@example.com',
       'Customer ' || g,
       (ARRAY['north', 'south', 'east', 'west'])[1 + g % 4],
       (ARRAY['retail', 'business', 'vip'])[1 + g % 3],
       TIMESTAMP '2026-01-01 00:00:00' + g * INTERVAL '1 hour',
       TIMESTAMP '2026-01-01 00:00:00' + g * INTERVAL '1 hour'
FROM generate_series(1, 120) AS g;

INSERT INTO public.products
SELECT g,
       'SKU-' || lpad(g::text, 4, '0'),
       'Product ' || g,
       (ARRAY['books', 'games', 'garden', 'kitchen', 'toys'])[1 + g % 5],
       (5 + (g * 37) % 200)::numeric(12,2) + 0.99,
       g % 11 <> 0,
       TIMESTAMP '2026-01-01 00:00:00'
FROM generate_series(1, 40) AS g;

INSERT INTO public.orders
SELECT g,
       1 + (g * 7) % 120,
       (ARRAY['placed', 'paid', 'shipped', 'delivered'])[1 + g % 4],
       TIMESTAMP '2026-03-01 00:00:00' + g * INTERVAL '37 minutes',
       TIMESTAMP '2026-03-01 00:00:00' + g * INTERVAL '37 minutes'
FROM generate_series(1, 600) AS g;

INSERT INTO public.order_items
SELECT o, l, 1 + (o * 13 + l * 5) % 40, 1 + (o + l) % 4, (5 + ((1 + (o * 13 + l * 5) % 40) * 37) % 200)::numeric(12,2) + 0.99
FROM generate_series(1, 600) AS o, generate_series(1, 3) AS l
WHERE l <= 1 + o % 3;

INSERT INTO public.payments
SELECT o,
       o,
       (ARRAY['card', 'paypal', 'invoice'])[1 + o % 3],
       (SELECT SUM(quantity * unit_price) FROM public.order_items i WHERE i.order_id = o),
       'captured',
       TIMESTAMP '2026-03-01 00:10:00' + o * INTERVAL '37 minutes',
       TIMESTAMP '2026-03-01 00:10:00' + o * INTERVAL '37 minutes'
FROM generate_series(1, 600) AS o
WHERE o % 4 <> 0;

INSERT INTO public.shipments
SELECT o,
       o,
       (ARRAY['dhl', 'ups', 'fedex'])[1 + o % 3],
       TIMESTAMP '2026-03-02 00:00:00' + o * INTERVAL '37 minutes',
       CASE WHEN o % 4 = 3 THEN TIMESTAMP '2026-03-04 00:00:00' + o * INTERVAL '37 minutes' END
FROM generate_series(1, 600) AS o
WHERE o % 4 >= 2;
