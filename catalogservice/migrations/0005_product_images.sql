-- Images uploaded by admins (catalogservice/images.py), kept in the database so that every
-- replica of the catalog, and through it every replica of the website, serves them.
CREATE TABLE product_images (
    name          text PRIMARY KEY CHECK (name ~ '^u-[0-9a-f]{32}\.(png|jpg|gif|webp)$'),
    content_type  text NOT NULL,
    data          bytea NOT NULL CHECK (octet_length(data) BETWEEN 1 AND 1048576),
    created_at    timestamptz NOT NULL DEFAULT now()
);
