select r.region,
       sum(r.orders) as orders,
       sum(r.revenue) as revenue,
       sum(r.paid) as paid
from {{ ref('daily_revenue') }} r
group by r.region
