-- A line the shop may show shoppers about a code (the website's promotion banners).
ALTER TABLE coupons ADD COLUMN banner text NOT NULL DEFAULT '' CHECK (length(banner) <= 140);
