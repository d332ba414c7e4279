select p.product_id,
       p.category,
       sum(l.quantity) as units,
       sum(l.line_amount) as revenue
from {{ ref('stg_order_lines') }} l
join {{ ref('dim_products') }} p on p.product_id = l.product_id
group by p.product_id, p.category
