select s.shipment_id,
       s.order_id,
       f.customer_id,
       s.carrier,
       cast(s.shipped_at as date) as shipped_date,
       s.delivered_at is not null as delivered
from {{ source('public', 'shipments') }} s
join {{ ref('fct_orders') }} f on f.order_id = s.order_id
