/** The demo database's orders (see devkit/demo.py), for the demo page's order picker. */
export interface DemoOrder {
  id: number;
  customer: string;
  closed: boolean;
  /** What the order shows off. */
  note: string;
}

export const DEMO_ORDERS: readonly DemoOrder[] = [
  { id: 1, customer: 'Juan Pérez', closed: false, note: 'Texto, imagen con epígrafe, mensaje leído, respuesta citada y reacción 👍.' },
  { id: 2, customer: 'María González', closed: false, note: 'Mensajes recientes (ventana de 24 h abierta) y un PDF con epígrafe.' },
  { id: 3, customer: 'Carlos Rodríguez', closed: true, note: 'Orden cerrada.' },
  { id: 4, customer: 'Carlos Rodríguez', closed: false, note: 'Orden abierta sin mensajes.' },
  { id: 5, customer: 'Lucía Fernández', closed: false, note: 'Tiene dos órdenes abiertas: su mensaje queda sin vincular hasta sincronizar una.' },
  { id: 6, customer: 'Lucía Fernández', closed: false, note: 'Tiene dos órdenes abiertas: su mensaje queda sin vincular hasta sincronizar una.' },
  { id: 7, customer: 'Martín López', closed: false, note: 'Teléfono fijo, sin mensajes.' },
  { id: 8, customer: 'Sofía Martínez', closed: false, note: 'Sin mensajes.' },
  { id: 9, customer: 'Diego Gómez', closed: false, note: 'Dos números en un mismo campo.' },
  { id: 10, customer: 'Valentina Díaz', closed: false, note: 'Teléfono en «Teléfono 2» (Córdoba); un envío falló por la ventana de 24 h (131047).' },
  { id: 11, customer: 'Javier Torres', closed: false, note: '«Teléfono 1» dice «no tiene»: sin número usable.' },
  { id: 12, customer: 'Camila Ruiz', closed: false, note: 'Número familiar compartido (ambiguo).' },
  { id: 13, customer: 'Pablo Ruiz', closed: true, note: 'Número familiar compartido (ambiguo); orden cerrada.' },
  { id: 14, customer: 'Florencia Sánchez', closed: true, note: 'Orden cerrada.' },
  { id: 15, customer: 'Agustín Romero', closed: false, note: 'Mensajes de un número oculto (BSUID) vinculados por un mapeo aprendido.' },
];
