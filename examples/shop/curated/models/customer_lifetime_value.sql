select c.customer_id,
       c.segment,
       count(f.order_id) as orders,
       coalesce(sum(f.amount), 0) as lifetime_value,
       max(f.order_date) as last_order_date
from {{ ref('dim_customers') }} c
left join {{ ref('fct_orders') }} f on f.customer_id = c.customer_id
group by c.customer_id, c.segment
