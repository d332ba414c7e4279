select order_date,
       region,
       count(*) as orders,
       sum(amount) as revenue,
       sum(paid_amount) as paid
from {{ ref('fct_orders') }}
where region is not null
group by order_date, region
