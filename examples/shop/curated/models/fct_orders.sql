-- One row per order with its amount, what was paid and the customer's region.
select o.order_id,
       o.customer_id,
       c.region,
       o.status,
       cast(o.created_at as date) as order_date,
       coalesce(l.amount, 0) as amount,
       coalesce(p.paid, 0) as paid_amount,
       coalesce(l.lines, 0) as line_count
from {{ source('public', 'orders') }} o
join {{ ref('dim_customers') }} c on c.customer_id = o.customer_id
left join (
  select order_id, sum(line_amount) as amount, count(*) as lines
  from {{ ref('stg_order_lines') }}
  group by order_id
) l on l.order_id = o.order_id
left join (
  select order_id, sum(amount) as paid
  from {{ ref('stg_payments') }}
  where status = 'captured'
  group by order_id
) p on p.order_id = o.order_id
